using System.Numerics;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Interop;

/// <summary>
/// Real numpy (Debian's python3-numpy) attaches our segments with nothing but numpy.load(mmap_mode="r+"),
/// and we open what numpy writes. CI fails if these skip.
/// </summary>
[Collection(nameof(InteropCollection))]
public class NumpyInteropTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        var random = new Random(20261122);
        foreach (string dtype in new[] { "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16", "float32", "float64", "complex64", "complex128" })
        {
            data.Add(dtype, "");         // 0-d
            data.Add(dtype, "0");        // empty
            data.Add(dtype, "3,0,2");    // zero-length inner axis
            int rank = random.Next(1, 5);
            data.Add(dtype, string.Join(",", Enumerable.Range(0, rank).Select(_ => random.Next(1, 7))));
        }
        data.Add("float64", "1000,1000");
        return data;
    }

    private static long[] ParseShape(string text) => text.Length == 0 ? [] : text.Split(',').Select(long.Parse).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Numpy_reads_our_values_and_we_see_its_writes(string dtypeName, string shapeText)
    {
        Python.RequireNumpy();
        DType dtype = DTypes.Parse(dtypeName);
        long[] shape = ParseShape(shapeText);
        string name = Names.Unique("np-" + dtype.ShortName());
        using SharedArray array = SharedArray.Create(name, dtype, shape);
        Patterns.Write(array, seed: 11);

        Python.Peer(new { op = "check_and_write", path = array.Path, descr = dtype.Descr(), shape, seed = 11 });

        Patterns.AssertEqual(array, seed: 12);
    }

    [Theory]
    [InlineData("float64", "3,4", false)]
    [InlineData("int32", "5", false)]
    [InlineData("complex64", "2,3", false)]
    [InlineData("bool", "7", false)]
    [InlineData("float16", "", false)]
    [InlineData("uint16", "3,4,2", true)]
    public void An_array_numpy_saves_into_the_directory_opens_in_CSharp(string dtypeName, string shapeText, bool fortran)
    {
        Python.RequireNumpy();
        DType dtype = DTypes.Parse(dtypeName);
        long[] shape = ParseShape(shapeText);
        string name = Names.Unique("npsave");
        try
        {
            Python.Peer(new { op = "save", path = "/dev/shm/" + name, descr = dtype.Descr(), shape, seed = 3, fortran });
            using SharedArray array = SharedArray.Open(name);
            Assert.Equal(SegmentFormat.Npy, array.Format);
            Assert.Equal(dtype, array.DType);
            Assert.Equal(shape, array.Shape.ToArray());
            Assert.Equal(fortran, !array.IsContiguous && array.Length > 1);
            Patterns.AssertEqual(array, seed: 3);

            // Writes through a plain .npy mapping land in the file numpy reads.
            Patterns.Write(array, seed: 4);
            Python.Peer(new { op = "check_and_write", path = "/dev/shm/" + name, descr = dtype.Descr(), shape, seed = 4 });
        }
        finally
        {
            Names.Cleanup(name);
        }
    }

    [Fact]
    public void A_world_readable_npy_is_refused_unless_allowed()
    {
        Python.RequireNumpy();
        string name = Names.Unique("np644");
        try
        {
            Python.Peer(new { op = "save", path = "/dev/shm/" + name, descr = "<f8", shape = new[] { 4 }, seed = 1, @private = false });
            Assert.Throws<SegmentAccessDeniedException>(() => SharedArray.Open(name));
            using var array = SharedArray<double>.Open(name, new SharedArrayOpenOptions { AllowGroupOrOtherAccess = true });
            Assert.Equal(8.0, array[1]);
        }
        finally
        {
            Names.Cleanup(name);
        }
    }

    [Fact]
    public void A_file_backed_npy_on_disk_persists_writes()
    {
        Python.RequireNumpy();
        string path = Path.Combine(Path.GetTempPath(), Names.Unique("disk") + ".npy");
        try
        {
            Python.Peer(new { op = "save", path, descr = "<i8", shape = new[] { 10 }, seed = 0 });
            using (var array = SharedArray<long>.Open(path))
            {
                Assert.Equal(path, array.Path);
                array[9] = 1234;
            }
            var answer = Python.Peer(new { op = "sum", path });
            Assert.Equal(1234.0, answer.GetProperty("max").GetDouble());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_by_hand_scenario_through_the_library()
    {
        Python.RequireNumpy();
        string name = Names.Unique("a1");
        using var a1 = SharedArray<double>.Full(name, [1000, 1000], 1.5);
        var first = Python.Peer(new { op = "sum", path = a1.Path, set = new object[] { new[] { 3, 4 }, 7 } });
        Assert.Equal(1500000.0, first.GetProperty("sum_before").GetDouble());
        Assert.Equal(1500005.5, first.GetProperty("sum").GetDouble());
        Assert.Equal(7.0, a1[3, 4]);
        ArrayStatistics stats = ArrayStatistics.Compute(a1);
        Assert.Equal(7.0, stats.Max);
        Assert.Equal(1500005.5, stats.Sum);
    }
}

[CollectionDefinition(nameof(InteropCollection), DisableParallelization = true)]
public sealed class InteropCollection;

/// <summary>The value pattern numpy_peer.py uses, computed in C#.</summary>
internal static class Patterns
{
    private static double Base(long i, int seed) => (i * 7 + seed) % 100;

    internal static void Write(SharedArray array, int seed) => Visit(array, seed, write: true);

    internal static void AssertEqual(SharedArray array, int seed) => Visit(array, seed, write: false);

    private static void Visit(SharedArray array, int seed, bool write)
    {
        switch (array.DType)
        {
            case DType.Bool: Run(array.As<bool>(), i => Base(i, seed) % 3 == 0, write); break;
            case DType.Int8: Number<sbyte>(array, seed, write); break;
            case DType.UInt8: Number<byte>(array, seed, write); break;
            case DType.Int16: Number<short>(array, seed, write); break;
            case DType.UInt16: Number<ushort>(array, seed, write); break;
            case DType.Int32: Number<int>(array, seed, write); break;
            case DType.UInt32: Number<uint>(array, seed, write); break;
            case DType.Int64: Number<long>(array, seed, write); break;
            case DType.UInt64: Number<ulong>(array, seed, write); break;
            case DType.Float16: Number<Half>(array, seed, write); break;
            case DType.Float32: Number<float>(array, seed, write); break;
            case DType.Float64: Number<double>(array, seed, write); break;
            case DType.Complex64: Run(array.As<Complex64>(), i => new Complex64((float)Base(i, seed), i % 5), write); break;
            case DType.Complex128: Run(array.As<Complex>(), i => new Complex(Base(i, seed), i % 5), write); break;
            default: throw new NotSupportedException(array.DType.ToString());
        }
    }

    private static void Number<T>(SharedArray array, int seed, bool write) where T : unmanaged, INumberBase<T> =>
        Run(array.As<T>(), i => T.CreateTruncating(Base(i, seed)), write);

    private static void Run<T>(SharedArray<T> typed, Func<long, T> value, bool write) where T : unmanaged
    {
        using (typed)
        {
            long i = 0;
            if (write)
            {
                foreach (Span<T> chunk in typed.GetChunks())
                {
                    for (int k = 0; k < chunk.Length; k++)
                    {
                        chunk[k] = value(i++);
                    }
                }
            }
            else
            {
                foreach (ReadOnlySpan<T> chunk in typed.GetReadOnlyChunks())
                {
                    for (int k = 0; k < chunk.Length; k++, i++)
                    {
                        if (!EqualityComparer<T>.Default.Equals(chunk[k], value(i)))
                        {
                            Assert.Fail($"element {i} (C order) is {chunk[k]}, expected {value(i)}");
                        }
                    }
                }
            }
            Assert.Equal(typed.Length, i);
        }
    }
}
