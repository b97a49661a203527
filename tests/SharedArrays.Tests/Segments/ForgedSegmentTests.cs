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

    [Fact]
    public void Inspect_and_List_do_not_wait_for_a_segment_forever_initialising_or_locked_by_someone_else()
    {
        using var dir = new PrivateDirectory("tstall");
        for (int i = 0; i < 3; i++)
        {
            // State 0 sits outside the checksum; under a public name it can only be damage or forgery.
            byte[] image = SegmentImages.Segment(DType.Int32, [10]);
            image[SegmentImages.TrailerOf(image) + 384] = 0;
            SegmentImages.WriteFile(dir.PathOf($"initialising{i}"), image);
        }
        SegmentImages.WriteFile(dir.PathOf("locked"), SegmentImages.Segment(DType.Int32, [10]));
        SegmentImages.WriteFile(dir.PathOf("fine"), SegmentImages.Segment(DType.Int32, [10]));

        // FileShare.None takes flock(LOCK_EX) on Unix, as a hostile process holding the lock would.
        using var holder = new FileStream(dir.PathOf("locked"), FileMode.Open, FileAccess.Read, FileShare.None);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<SegmentInfo> listed = SharedArray.List(dir.Path);
        TimeSpan elapsed = clock.Elapsed;

        Assert.Equal("fine", Assert.Single(listed).Name);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"List took {elapsed.TotalSeconds:0.0} s over four hostile files");
        var initialising = Assert.Throws<InvalidSegmentException>(() => SharedArray.Inspect("initialising0", dir.Path));
        Assert.Contains("still initialising", initialising.Message, StringComparison.Ordinal);
        var locked = Assert.Throws<SharedArrayException>(() => SharedArray.Inspect("locked", dir.Path));
        Assert.Contains("holds it exclusively", locked.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]     // one byte of the magic left
    [InlineData(8)]     // the magic, nothing else
    [InlineData(352)]   // everything but the checksum
    [InlineData(4095)]  // one byte short
    [InlineData(4097)]  // one byte appended
    [InlineData(8192)]  // a page appended
    public void A_segment_cut_inside_its_control_block_or_extended_past_it_is_damaged_not_a_plain_npy(int bytesFromTrailer)
    {
        using var dir = new PrivateDirectory("tcut");
        byte[] image = SegmentImages.Segment(DType.Float32, [3000]);
        int trailer = SegmentImages.TrailerOf(image);
        byte[] file = new byte[trailer + bytesFromTrailer];
        image.AsSpan(0, Math.Min(image.Length, file.Length)).CopyTo(file);
        SegmentImages.WriteFile(dir.PathOf("cut"), file);

        // Read as a plain .npy it would open and silently lose its generation and creator.
        var e = Assert.Throws<InvalidSegmentException>(() => SharedArray.Open(dir.PathOf("cut")));
        Assert.Contains("damaged control block", e.Message, StringComparison.Ordinal);
        Assert.Contains($"needs a file of exactly {image.Length} bytes, but the file has {file.Length}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_npy_with_bytes_after_its_data_still_opens_as_a_plain_npy()
    {
        using var dir = new PrivateDirectory("tpad");
        byte[] npy = SegmentImages.Npy(DType.Float64, [1000]);
        byte[] padded = new byte[npy.Length + 10_000];
        npy.CopyTo(padded, 0);
        SegmentImages.WriteFile(dir.PathOf("padded.npy"), padded);

        using SharedArray array = SharedArray.Open(dir.PathOf("padded.npy"));
        Assert.Equal(SegmentFormat.Npy, array.Format);
        Assert.Equal(1000, array.Length);
    }
}
