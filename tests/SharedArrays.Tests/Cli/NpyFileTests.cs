using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Cli;

/// <summary>The library side of <c>sharr save</c> and <c>sharr load</c>: <see cref="NpyFile"/>.</summary>
public class NpyFileTests
{
    private static string TempFile() => Path.Combine(Path.GetTempPath(), $"sharr-npyfile-test-{Guid.NewGuid():N}.npy");

    [Fact]
    public void Save_writes_a_strided_view_in_c_order_with_its_own_shape()
    {
        using var array = SharedArray<short>.Create(Names.Unique("npyview"), [4, 6]);
        for (long i = 0; i < 4; i++)
        {
            for (long j = 0; j < 6; j++)
            {
                array[i, j] = (short)(10 * i + j);
            }
        }
        using SharedArray<short> view = array.Rows(1, 2).Slice(1, 2, 3); // rows 1..2, columns 2..4
        string file = TempFile();
        try
        {
            NpyFile.Save(view, file);
            using var saved = SharedArray<short>.Open(file);
            Assert.Equal([2L, 3L], saved.Shape.ToArray());
            Assert.Equal(new short[] { 12, 13, 14, 22, 23, 24 }, saved.ToArray());
            Assert.Equal(0, saved.DataOffset % 64);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Save_refuses_to_overwrite_unless_asked_and_leaves_the_file_alone()
    {
        using var array = SharedArray<byte>.Full(Names.Unique("npyover"), [5], 9);
        string file = TempFile();
        File.WriteAllText(file, "keep me");
        try
        {
            Assert.Throws<IOException>(() => NpyFile.Save(array, file));
            Assert.Equal("keep me", File.ReadAllText(file));

            NpyFile.Save(array, file, overwrite: true);
            using var saved = SharedArray<byte>.Open(file);
            Assert.Equal(new byte[] { 9, 9, 9, 9, 9 }, saved.ToArray());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Save_never_writes_through_a_symlink_at_the_target()
    {
        using var array = SharedArray<byte>.Full(Names.Unique("npylink"), [3], 7);
        string victim = TempFile(), link = TempFile();
        File.WriteAllText(victim, "someone else's file");
        File.CreateSymbolicLink(link, victim);
        try
        {
            Assert.Throws<IOException>(() => NpyFile.Save(array, link)); // O_EXCL: an existing link is an existing file
            NpyFile.Save(array, link, overwrite: true);                    // replaces the link itself
            Assert.Equal("someone else's file", File.ReadAllText(victim));
            Assert.Null(new FileInfo(link).LinkTarget);
            using var saved = SharedArray<byte>.Open(link);
            Assert.Equal(new byte[] { 7, 7, 7 }, saved.ToArray());
            Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(link)!), f => f.EndsWith(".tmp", StringComparison.Ordinal) && f.Contains(Path.GetFileName(link), StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(victim);
            File.Delete(link);
        }
    }

    [Fact]
    public void Load_makes_a_typed_segment_that_its_creator_removes_by_default()
    {
        using var source = SharedArray<double>.Full(Names.Unique("npysrc"), [3, 2], 2.5);
        string file = TempFile();
        try
        {
            NpyFile.Save(source, file);
            string path;
            using (SharedArray loaded = NpyFile.Load(file, name: null))
            {
                SharedArray<double> typed = Assert.IsType<SharedArray<double>>(loaded);
                Assert.Equal([3L, 2L], typed.Shape.ToArray());
                Assert.All(typed.ToArray(), v => Assert.Equal(2.5, v));
                Assert.False(loaded.IsPersistent);
                path = loaded.Path;
                Assert.True(File.Exists(path));
            }
            Assert.False(File.Exists(path));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Load_of_a_missing_file_creates_nothing()
    {
        string name = Names.Unique("npymissing");
        Assert.Throws<SegmentNotFoundException>(() => NpyFile.Load(TempFile(), name));
        Assert.False(File.Exists("/dev/shm/" + name));
    }
}
