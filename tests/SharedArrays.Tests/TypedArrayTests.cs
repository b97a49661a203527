using System.Numerics;
using System.Numerics.Tensors;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests;

public class TypedArrayTests
{
    [Fact]
    public void Shape_strides_length_are_64_bit_and_C_ordered()
    {
        using var a = SharedArray<float>.Create(Names.Unique("shape"), [2, 3, 4]);
        Assert.Equal([2L, 3, 4], a.Shape.ToArray());
        Assert.Equal([12L, 4, 1], a.Strides.ToArray());
        Assert.Equal(24L, a.Length);
        Assert.Equal(96L, a.ByteLength);
        Assert.True(a.IsContiguous);
        Assert.False(a.IsView);
    }

    [Fact]
    public void Indexers_read_and_write_the_shared_memory()
    {
        string name = Names.Unique("idx");
        using var a = SharedArray<int>.Create(name, [3, 4]);
        a[1, 2] = 42;
        a[[2, 3]] = 7;
        using var b = SharedArray<int>.Open(name);
        Assert.Equal(42, b[1, 2]);
        Assert.Equal(7, b.GetValue(2, 3));
        Assert.Equal(42, b.AsReadOnlySpan()[1 * 4 + 2]);
        Assert.Throws<IndexOutOfRangeException>(() => a[3, 0]);
        Assert.Throws<IndexOutOfRangeException>(() => a[0, -1]);
        Assert.Throws<ArgumentException>(() => a[1]);
    }

    [Fact]
    public void Zero_dimensional_and_zero_length_arrays_work()
    {
        using var scalar = SharedArray<double>.Full(Names.Unique("scalar"), [], 3.5);
        Assert.Equal(0, scalar.Rank);
        Assert.Equal(1L, scalar.Length);
        Assert.Equal(3.5, scalar[[]]);
        using var empty = SharedArray<double>.Create(Names.Unique("empty"), [3, 0, 2]);
        Assert.Equal(0L, empty.Length);
        int chunks = 0;
        foreach (Span<double> _ in empty.GetChunks())
        {
            chunks++;
        }
        Assert.Equal(0, chunks);
        Assert.Equal(0, ArrayStatistics.Compute(empty).Count);
    }

    [Fact]
    public void Full_From_span_and_From_tensor_initialise_before_publishing()
    {
        using var full = SharedArray<short>.Full(Names.Unique("full"), [5], -3);
        Assert.All(full.ToArray(), v => Assert.Equal(-3, v));

        double[] data = [1, 2, 3, 4, 5, 6];
        using var from = SharedArray<double>.From(Names.Unique("from"), data, [2, 3]);
        Assert.Equal(6.0, from[1, 2]);
        Assert.Throws<ArgumentException>(() => SharedArray<double>.From(Names.Unique("bad"), data, [4, 2]));

        Tensor<float> tensor = Tensor.Create<float>([1f, 2f, 3f, 4f], [2, 2]);
        using var fromTensor = SharedArray<float>.From(Names.Unique("tensor"), tensor.AsReadOnlyTensorSpan());
        Assert.Equal([2L, 2], fromTensor.Shape.ToArray());
        Assert.Equal(3f, fromTensor[1, 0]);
    }

    [Fact]
    public void TensorSpan_views_the_same_memory()
    {
        using var a = SharedArray<double>.Create(Names.Unique("tspan"), [3, 3]);
        TensorSpan<double> t = a.AsTensorSpan();
        t[[1, 1]] = 9;
        Assert.Equal(9, a[1, 1]);
        Assert.Equal([3, 3], t.Lengths.ToArray());
        a[2, 0] = 4;
        Assert.Equal(4, a.AsReadOnlyTensorSpan()[[2, 0]]);
    }

    [Fact]
    public void Slices_on_any_axis_stay_in_shared_memory_and_their_handles_reopen_them()
    {
        string name = Names.Unique("slice");
        using var a = SharedArray<int>.Create(name, [4, 5]);
        for (long i = 0; i < 4; i++)
        {
            for (long j = 0; j < 5; j++)
            {
                a[i, j] = (int)(10 * i + j);
            }
        }
        using SharedArray<int> rows = a.Rows(1, 2);
        Assert.Equal([2L, 5], rows.Shape.ToArray());
        Assert.Equal(10, rows[0, 0]);
        Assert.True(rows.IsContiguous);
        Assert.True(rows.IsView);

        using SharedArray<int> cols = a.Slice(1, 2, 2);
        Assert.Equal([4L, 2], cols.Shape.ToArray());
        Assert.False(cols.IsContiguous);
        Assert.Equal(32, cols[3, 0]);
        cols.Fill(-1);
        Assert.Equal(-1, a[0, 2]);
        Assert.Equal(4, a[0, 4]);
        Assert.Equal([-1, -1, -1, -1, -1, -1, -1, -1], cols.ToArray());

        SharedArrayHandle handle = cols.Handle;
        SharedArrayHandle parsed = SharedArrayHandle.Parse(handle.ToString());
        Assert.Equal(handle, parsed);
        using var reopened = SharedArray<int>.Open(parsed);
        Assert.Equal([4L, 2], reopened.Shape.ToArray());
        Assert.Equal(2L, reopened.Offset);
        Assert.Equal(-1, reopened[2, 1]);

        // A view outlives the root's Dispose only as a mapping; the owner removed the name.
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Slice(0, 3, 2));
    }

    [Fact]
    public void Chunks_cover_every_element_exactly_once_in_C_order()
    {
        using var a = SharedArray<long>.Create(Names.Unique("chunks"), [6, 7]);
        using SharedArray<long> view = a.Slice(1, 1, 5);
        long k = 0;
        foreach (Span<long> chunk in view.GetChunks(maxChunkLength: 3))
        {
            Assert.InRange(chunk.Length, 1, 3);
            for (int i = 0; i < chunk.Length; i++)
            {
                chunk[i] = k++;
            }
        }
        Assert.Equal(30, k);
        Assert.Equal(0, a[0, 0]);
        Assert.Equal(0, a[0, 1]);
        Assert.Equal(4, a[0, 5]);
        Assert.Equal(0, a[0, 6]);
        Assert.Equal(5, a[1, 1]);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i).ToArray(), view.ToArray());
    }

    [Fact]
    public void CopyFrom_and_CopyTo_round_trip_including_between_views()
    {
        using var a = SharedArray<double>.Create(Names.Unique("copy"), [3, 4]);
        a.CopyFrom(Enumerable.Range(0, 12).Select(i => (double)i).ToArray());
        double[] back = new double[12];
        a.CopyTo(back);
        Assert.Equal(11, back[11]);
        using var b = SharedArray<double>.Create(Names.Unique("copy2"), [3, 2]);
        using (SharedArray<double> cols = a.Slice(1, 1, 2))
        {
            cols.CopyTo(b);
        }
        Assert.Equal([1.0, 2, 5, 6, 9, 10], b.ToArray());
        Assert.Throws<ArgumentException>(() => a.CopyFrom(new double[5]));
    }

    [Fact]
    public void Requesting_the_wrong_type_or_shape_gives_ElementTypeMismatchException()
    {
        string name = Names.Unique("mismatch");
        using var a = SharedArray<float>.Create(name, [2, 3]);
        var e = Assert.Throws<ElementTypeMismatchException>(() => SharedArray<double>.Open(name));
        Assert.Contains("float32", e.Message, StringComparison.Ordinal);
        Assert.Throws<ElementTypeMismatchException>(() => SharedArray<float>.Open(name, [3, 2]));
        Assert.Throws<ElementTypeMismatchException>(() => SharedArray<float>.Open(name, [6]));
        using var ok = SharedArray<float>.Open(name, [2, 3]);
        using SharedArray untyped = SharedArray.Open(name);
        Assert.Equal(DType.Float32, untyped.DType);
        Assert.Throws<ElementTypeMismatchException>(() => untyped.As<int>());
        using SharedArray<float> typed = untyped.As<float>();
        Assert.Equal(6, typed.Length);
    }

    [Fact]
    public void Stale_handle_is_refused_after_the_name_is_recreated()
    {
        string name = Names.Unique("stale");
        SharedArrayHandle handle;
        using (var first = SharedArray<int>.Create(name, [3]))
        {
            handle = first.Handle;
        }
        using var second = SharedArray<int>.Create(name, [3]);
        var e = Assert.Throws<StaleHandleException>(() => SharedArray<int>.Open(handle));
        // The message quotes both generations as the handle string and sharr info write them.
        string oldGeneration = handle.ToString().Split(':')[2];
        Assert.Contains(oldGeneration, e.Message, StringComparison.Ordinal);
        Assert.Contains(second.Handle.ToString().Split(':')[2], e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sharr1:a:00:f8:1:0:1")]
    [InlineData("sharr2:a:00000000000000000000000000000000:f8:1:0:1")]
    [InlineData("sharr1:a:00000000000000000000000000000000:zz:1:0:1")]
    [InlineData("sharr1:a:00000000000000000000000000000000:f8:1,2:0:1")]
    [InlineData("sharr1:a:00000000000000000000000000000000:f8:-1:0:1")]
    [InlineData("nonsense")]
    public void Malformed_handle_strings_are_rejected(string text)
    {
        Assert.False(SharedArrayHandle.TryParse(text, out _));
        Assert.Throws<FormatException>(() => SharedArrayHandle.Parse(text));
    }

    [Fact]
    public void Handle_escapes_names_and_paths()
    {
        var h = new SharedArrayHandle("/tmp/a b:c.npy", Guid.Empty, DType.UInt8, [2, 3], 1, [3, 1]);
        string text = h.ToString();
        Assert.Equal(7, text.Split(':').Length);
        var back = SharedArrayHandle.Parse(text);
        Assert.Equal("/tmp/a b:c.npy", back.Name);
        Assert.Equal([2L, 3], back.Shape.ToArray());
        Assert.Equal(1, back.Offset);
    }

    [Fact]
    public void Handle_view_reaching_outside_the_array_is_refused()
    {
        string name = Names.Unique("outside");
        using var a = SharedArray<byte>.Create(name, [10]);
        var h = new SharedArrayHandle(name, a.Generation, DType.UInt8, [5], 6, [1]);
        Assert.Throws<ElementTypeMismatchException>(() => SharedArray<byte>.Open(h));
    }

    [Fact]
    public void Statistics_match_a_direct_computation_for_every_type()
    {
        using var d = SharedArray<double>.From(Names.Unique("st"), [1.5, -2, 7, 0.5]);
        var s = ArrayStatistics.Compute(d);
        Assert.Equal((4L, 7.0, 1.75, -2.0, 7.0), (s.Count, s.Sum, s.Mean, s.Min!.Value, s.Max!.Value));

        using var b = SharedArray<bool>.From(Names.Unique("stb"), [true, false, true]);
        Assert.Equal(2.0, ArrayStatistics.Compute(b).Sum);

        using var h = SharedArray<Half>.From(Names.Unique("sth"), [(Half)1.5, (Half)2.5]);
        Assert.Equal(4.0, ArrayStatistics.Compute(h).Sum);

        using var c = SharedArray<Complex>.From(Names.Unique("stc"), [new Complex(1, 2), new Complex(3, -1)]);
        var cs = ArrayStatistics.Compute(c);
        Assert.Equal((4.0, 1.0), (cs.Sum, cs.SumImaginary));
        Assert.Null(cs.Max);

        using var c64 = SharedArray<Complex64>.From(Names.Unique("stc64"), [new Complex64(1, 2), new Complex64(3, -1)]);
        Assert.Equal(1.0, ArrayStatistics.Compute(c64).SumImaginary);

        using var nan = SharedArray<float>.From(Names.Unique("stn"), [1f, float.NaN]);
        Assert.True(double.IsNaN(ArrayStatistics.Compute(nan).Max!.Value));

        using var big = SharedArray<int>.Create(Names.Unique("stbig"), [1000, 1000]);
        big.Fill(3);
        big[999, 999] = -5;
        using SharedArray<int> view = big.Slice(1, 500, 500);
        var vs = ArrayStatistics.Compute(view);
        Assert.Equal(500_000 * 3 - 8, vs.Sum);
        Assert.Equal(-5, vs.Min);
    }

    [Fact]
    public void Every_element_type_round_trips_through_a_segment()
    {
        Check<bool>(true); Check<sbyte>(-5); Check<byte>(200); Check<short>(-300); Check<ushort>(60000);
        Check(-70000); Check(4_000_000_000u); Check(-(1L << 40)); Check(1UL << 63);
        Check((Half)0.5); Check(1.25f); Check(-2.5); Check(new Complex64(1, -1)); Check(new Complex(2, 3));

        static void Check<T>(T value) where T : unmanaged
        {
            string name = Names.Unique("type");
            using var a = SharedArray<T>.Full(name, [3, 2], value);
            using var b = SharedArray<T>.Open(name);
            Assert.Equal(DTypes.Of<T>(), b.DType);
            Assert.Equal(value, b[2, 1]);
        }
    }
}
