using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Segments;

public class SegmentLifecycleTests
{
    private static string ShmPath(string name) => Path.Combine("/dev/shm", name);

    [Fact]
    public void Create_publishes_a_0600_file_of_the_documented_size_and_dispose_removes_it()
    {
        string name = Names.Unique("life");
        using (var array = SharedArray<double>.Create(name, [1000, 3]))
        {
            Assert.True(File.Exists(ShmPath(name)));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ShmPath(name)));
            // 4096 header + 24000 bytes rounded up to 24576 + 4096 control block
            Assert.Equal(4096 + 24576 + 4096, new FileInfo(ShmPath(name)).Length);
            Assert.True(array.IsOwner);
            Assert.False(array.IsPersistent);
            Assert.Equal(SegmentFormat.SharedArray, array.Format);
            Assert.NotEqual(Guid.Empty, array.Generation);
        }
        Assert.False(File.Exists(ShmPath(name)));
    }

    [Fact]
    public void No_temporary_names_are_left_behind()
    {
        string name = Names.Unique("tmp");
        using (SharedArray<byte>.Create(name, [10]))
        {
        }
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries("/dev/shm"), p => Path.GetFileName(p).StartsWith(".sharr-tmp-", StringComparison.Ordinal));
    }

    [Fact]
    public void Persistent_segment_survives_dispose_until_removed()
    {
        string name = Names.Unique("persist");
        try
        {
            using (SharedArray<int>.Full(name, [4], 5, new SharedArrayCreateOptions { Persistent = true }))
            {
            }
            Assert.True(File.Exists(ShmPath(name)));
            using (var again = SharedArray<int>.Open(name))
            {
                Assert.True(again.IsPersistent);
                Assert.False(again.IsOwner);
                Assert.Equal(5, again[3]);
            }
            Assert.True(SharedArray.Remove(name));
            Assert.False(File.Exists(ShmPath(name)));
            Assert.False(SharedArray.Remove(name));
        }
        finally
        {
            Names.Cleanup(name);
        }
    }

    [Fact]
    public void Opener_dispose_never_removes_the_name()
    {
        string name = Names.Unique("opener");
        using var owner = SharedArray<float>.Create(name, [8]);
        using (var opened = SharedArray<float>.Open(name))
        {
            Assert.False(opened.IsOwner);
        }
        Assert.True(File.Exists(ShmPath(name)));
    }

    [Fact]
    public void Second_create_of_a_name_fails_with_SegmentExistsException()
    {
        string name = Names.Unique("dup");
        using var first = SharedArray<long>.Create(name, [1]);
        var e = Assert.Throws<SegmentExistsException>(() => SharedArray<long>.Create(name, [1]));
        Assert.Equal(name, e.SegmentName);
        Assert.True(File.Exists(ShmPath(name)));
    }

    [Fact]
    public void Open_of_a_missing_name_throws_SegmentNotFoundException()
    {
        var e = Assert.Throws<SegmentNotFoundException>(() => SharedArray.Open(Names.Unique("missing")));
        Assert.Contains("No segment named", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("space name")]
    [InlineData("..")]
    public void Invalid_names_are_refused(string name) =>
        Assert.Throws<ArgumentException>(() => SharedArray<byte>.Create(name, [1]));

    [Fact]
    public void Read_only_open_refuses_writes_before_the_OS_would_fault()
    {
        string name = Names.Unique("ro");
        using var owner = SharedArray<double>.Full(name, [4], 2.5);
        using var ro = SharedArray<double>.Open(name, new SharedArrayOpenOptions { ReadOnly = true });
        Assert.True(ro.IsReadOnly);
        Assert.Equal(2.5, ro.GetValue(1));
        Assert.Equal(10.0, ro.AsReadOnlyTensorSpan()[[3]] * 4);
        Assert.Throws<InvalidOperationException>(() => ro[0] = 1);
        Assert.Throws<InvalidOperationException>(() => ro.AsTensorSpan());
        Assert.Throws<InvalidOperationException>(() => ro.Fill(1));
    }
}
