using CsCheck;
using SharedArrays.Format;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Format;

/// <summary>
/// Mutated segments (header and control block) are either read with every view inside the file, or
/// refused with <see cref="InvalidSegmentException"/>: never another exception, never a view outside.
/// </summary>
public unsafe class SegmentLayoutFuzzTests
{
    private static readonly Gen<DType> GenDType = Gen.Int[1, 14].Select(i => (DType)i);
    private static readonly Gen<long[]> GenShape = Gen.Int[0, 4].SelectMany(rank => Gen.Long[0, 9].Array[rank]);

    /// <summary>A real segment image built by the library itself, in memory.</summary>
    private static byte[] Image(DType dtype, long[] shape)
    {
        long dataBytes = SegmentLayout.ElementCount(shape) * dtype.ItemSize();
        long length = SegmentLayout.FileLengthFor(dataBytes);
        byte[] file = new byte[length];
        fixed (byte* p = file)
        {
            SegmentLayout.WriteNew(p, length, dtype, shape, dataBytes, Guid.NewGuid(), persistent: false);
        }
        return file;
    }

    private static void CheckRead(byte[] file, int length)
    {
        fixed (byte* p = file)
        {
            SegmentLayout layout;
            try
            {
                layout = SegmentLayout.Read(p, length, "fuzz");
            }
            catch (InvalidSegmentException)
            {
                return;
            }
            Assert.InRange(layout.DataOffset, 0, length);
            Assert.InRange(layout.DataBytes, 0, length - layout.DataOffset);
            Assert.Equal(layout.DataBytes, layout.Length * layout.DType.ItemSize());
            Assert.All(layout.Shape, d => Assert.True(d >= 0));
            if (layout.HasControlBlock)
            {
                Assert.Equal(length, layout.TrailerOffset + 4096);
            }
        }
    }

    [Fact]
    public void Unmodified_images_read_back_exactly()
    {
        Gen.Select(GenDType, GenShape).Sample((dtype, shape) =>
        {
            byte[] file = Image(dtype, shape);
            fixed (byte* p = file)
            {
                var layout = SegmentLayout.Read(p, file.Length, "ok");
                Assert.True(layout.HasControlBlock);
                Assert.Equal(dtype, layout.DType);
                Assert.Equal(shape, layout.Shape);
                Assert.Equal(4096, layout.DataOffset);
            }
        }, iter: 2000);
    }

    [Fact]
    public void Mutated_headers_and_control_blocks_give_a_typed_error_or_a_safe_layout()
    {
        // Mutations aimed where they matter: the npy header text, the shape words and the
        // offsets/lengths of the control block, plus truncation.
        var gen = Gen.Select(GenDType, GenShape, Gen.Int[0, 6].SelectMany(n => Gen.Select(Gen.Int[0, 1_000_000], Gen.Byte, Gen.Int[0, 2]).Array[n]), Gen.Int[0, 3]);
        long cases = 0;
        gen.Sample((dtype, shape, mutations, truncate) =>
        {
            byte[] file = Image(dtype, shape);
            int trailer = file.Length - 4096;
            foreach (var (where, value, region) in mutations)
            {
                int index = region switch
                {
                    0 => where % 256,                  // magic, version, header length, dict text
                    1 => trailer + where % 400,         // control block fields and checksum
                    _ => where % file.Length,           // anywhere
                };
                file[index] = value;
            }
            int length = truncate == 0 ? file.Length - (1 + (mutations.Length > 0 ? mutations[0].Item1 % file.Length : 0)) : file.Length;
            CheckRead(file, Math.Max(length, 0));
            cases++;
        }, iter: 60_000);
        Console.WriteLine($"segment layout fuzz: {cases} mutated images, 0 crashes, 0 views outside the file");
    }

    [Fact]
    public void Random_bytes_give_a_typed_error()
    {
        Gen.Byte.Array[0, 9000].Sample(bytes =>
        {
            CheckRead(bytes, bytes.Length);
        }, iter: 20_000);
    }

    [Fact]
    public void Mutated_files_opened_by_path_never_crash_the_process()
    {
        string dir = Path.Combine(Path.GetTempPath(), Names.Unique("fuzzdir"));
        Directory.CreateDirectory(dir);
        try
        {
            Gen.Select(GenDType, GenShape, Gen.Int[0, 8191], Gen.Byte).Sample((dtype, shape, where, value) =>
            {
                byte[] file = Image(dtype, shape);
                file[where % file.Length] = value;
                string path = Path.Combine(dir, "seg.npy");
                File.WriteAllBytes(path, file);
                try
                {
                    using SharedArray array = SharedArray.Open(path, new SharedArrayOpenOptions { Timeout = TimeSpan.Zero });
                    Assert.True(SharedArray.ViewFits(array.Shape, array.Strides, array.Offset, array.Length));
                    ArrayStatistics.Compute(array); // touches every element of the view
                }
                catch (InvalidSegmentException)
                {
                }
            }, iter: 500, threads: 1);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
