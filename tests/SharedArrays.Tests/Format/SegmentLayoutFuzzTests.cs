using CsCheck;
using SharedArrays.Format;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Format;

/// <summary>
/// Every segment image the library writes reads back as exactly what was written. Damaged and forged
/// images, random bytes and real files opened through the public API are the segment fuzz torture's
/// (<c>Torture/SegmentFuzzTortureTests</c>).
/// </summary>
public unsafe class SegmentLayoutFuzzTests
{
    private static readonly Gen<DType> GenDType = Gen.Int[1, 14].Select(i => (DType)i);
    private static readonly Gen<long[]> GenShape = Gen.Int[0, 4].SelectMany(rank => Gen.Long[0, 9].Array[rank]);

    [Fact]
    public void Unmodified_images_read_back_exactly()
    {
        Gen.Select(GenDType, GenShape).Sample((dtype, shape) =>
        {
            byte[] file = SegmentImages.Segment(dtype, shape);
            fixed (byte* p = file)
            {
                var layout = SegmentLayout.Read(p, file.Length, "ok");
                Assert.True(layout.HasControlBlock);
                Assert.Equal(dtype, layout.DType);
                Assert.Equal(shape, layout.Shape);
                Assert.Equal(4096, layout.DataOffset);
                Assert.Equal(file.Length, layout.TrailerOffset + ControlBlock.Size);
            }
        }, iter: 2000);
    }
}
