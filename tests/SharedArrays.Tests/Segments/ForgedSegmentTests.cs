using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Segments;

/// <summary>
/// Regression tests for what the segment fuzz torture found: control blocks forged with a valid
/// checksum, whose fields are each plausible to the parser but broke a caller further on.
/// </summary>
public class ForgedSegmentTests
{
    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    [InlineData(-62135596800001)] // one millisecond before 0001-01-01
    public void A_forged_creation_time_no_date_can_hold_does_not_break_Inspect_or_List(long createdAt)
    {
        using var dir = new PrivateDirectory("tforged");
        byte[] image = SegmentImages.Segment(DType.Float64, [4]);
        int trailer = SegmentImages.TrailerOf(image);
        SegmentImages.Write(image, trailer + 48, 8, createdAt);
        SegmentImages.Reseal(image, trailer);
        SegmentImages.WriteFile(dir.PathOf("forged"), image);

        SegmentInfo info = SharedArray.Inspect("forged", dir.Path);
        Assert.Equal(SegmentFormat.SharedArray, info.Format);
        Assert.Null(info.CreatedAt);
        Assert.Equal("forged", Assert.Single(SharedArray.List(dir.Path)).Name);
        using var array = SharedArray<double>.Open("forged", new SharedArrayOpenOptions { Directory = dir.Path });
        Assert.Equal(4, array.Length);
    }
}
