using System.Security.Cryptography;
using SharedArrays.Tests.Infrastructure;
using static Interop.Libc;

namespace SharedArrays.Tests.Torture;

using Torture = SharedArrays.Tests.Infrastructure.Torture;

/// <summary>
/// Hostile input with real mounts, files and users: a tmpfs that is full when a segment is created or
/// opened (torture 6). Each test prints what it did and saw.
/// </summary>
[Trait("Category", Torture.Category)]
public class HostileInputTortureTests
{
    // ---------------------------------------------------------------------------------------------
    // Torture 6: a full tmpfs at create time and at open time
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public void Create_in_a_tmpfs_without_room_gives_a_typed_error_and_leaves_nothing_behind()
    {
        using Tmpfs tmpfs = MountOrSkip("size=1m");
        var options = new SharedArrayCreateOptions { Directory = tmpfs.Path };
        int refused = 0;

        // Bigger than the whole file system: refused before a byte is reserved.
        var e = Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray<double>.Create("big", [1_000_000], options));
        refused++;
        Assert.Equal(tmpfs.Path, e.Directory);
        Assert.Equal(4096L + 8_003_584 + 4096, e.RequestedBytes);
        Assert.InRange(e.AvailableBytes, 0, 1 << 20);
        Assert.Contains("--shm-size", e.Message, StringComparison.Ordinal);
        Assert.Empty(tmpfs.Entries());

        // A segment that fits works there, and goes away again.
        using (var small = SharedArray<byte>.Full("small", [1000], 3, options))
        {
            Assert.Equal(tmpfs.PathOf("small"), small.Path);
        }
        Assert.Empty(tmpfs.Entries());

        // A segment created while there was room stays usable when the tmpfs fills up: its memory was
        // reserved at creation, so writing every page now cannot SIGBUS.
        using (var early = SharedArray<double>.Create("early", [10_000], options))
        {
            tmpfs.Fill();
            early.Fill(2.5);
            Assert.Equal(25_000.0, ArrayStatistics.Compute(early).Sum);

            // Exactly full: not one page free. Even the smallest segment (two pages) is refused, by
            // SharedArray.Create and by NpyFile.Load alike, and neither leaves its temporary name.
            Assert.Equal(0, tmpfs.Available);
            e = Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray<byte>.Create("tiny", [0], options));
            refused++;
            Assert.Equal(8192, e.RequestedBytes);
            Assert.Equal(0, e.AvailableBytes);
            string npy = Path.Combine(Path.GetTempPath(), Names.Unique("load") + ".npy");
            try
            {
                File.WriteAllBytes(npy, SegmentImages.Npy(DType.Int16, [100]));
                Assert.Throws<InsufficientSharedMemoryException>(() => NpyFile.Load(npy, "loaded", options));
                refused++;
            }
            finally
            {
                File.Delete(npy);
            }
            Assert.Equal(["early", "filler"], tmpfs.Entries());

            // Three pages free: a segment of exactly three pages fits, one of four does not.
            using (var filler = new FileStream(tmpfs.PathOf("filler"), FileMode.Open))
            {
                filler.SetLength(filler.Length - (3 * 4096));
            }
            Assert.Equal(3 * 4096, tmpfs.Available);
            e = Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray<double>.Create("four", [513], options));
            refused++;
            Assert.Equal(4 * 4096, e.RequestedBytes);
            Assert.Equal(3 * 4096, e.AvailableBytes);
            using (var three = SharedArray<double>.Full("three", [512], 1.0, options))
            {
                Assert.Equal(0, tmpfs.Available);
                Assert.Equal(512.0, ArrayStatistics.Compute(three).Sum);
            }
        }
        Assert.Equal(["filler"], tmpfs.Entries());
        Torture.Report($"full tmpfs at create time: {refused} creates refused with InsufficientSharedMemoryException " +
                       "(larger than the tmpfs, exactly full via Create and NpyFile.Load, one page short), 0 names left behind; " +
                       "a segment reserved earlier was filled while the tmpfs was full, and one of exactly the free size was created");
    }

    [Fact]
    public void A_tmpfs_out_of_inodes_refuses_create_with_a_typed_error_and_an_unlimited_one_accepts_it()
    {
        // nr_inodes=1: the root directory takes the only inode, so not even the temporary name can exist.
        using (Tmpfs noInodes = MountOrSkip("size=1m,nr_inodes=1"))
        {
            var e = Assert.Throws<InsufficientSharedMemoryException>(() =>
                SharedArray<byte>.Create("x", [10], new SharedArrayCreateOptions { Directory = noInodes.Path }));
            Assert.Contains("no inodes", e.Message, StringComparison.Ordinal);
            Assert.Empty(noInodes.Entries());
        }

        // size=0 is a tmpfs without a limit, whose statvfs reports 0 blocks of 0 free: that is "unknown",
        // not "full" (it used to refuse every create there).
        using Tmpfs unlimited = MountOrSkip("size=0");
        Assert.Equal(0, unlimited.Available);
        using (var array = SharedArray<double>.Full("x", [100_000], 4.0, new SharedArrayCreateOptions { Directory = unlimited.Path }))
        {
            Assert.Equal(400_000.0, ArrayStatistics.Compute(array).Sum);
        }
        Assert.Empty(unlimited.Entries());
    }

    [Theory]
    [InlineData("segment")]
    [InlineData("npy")]
    public void A_sparse_file_in_a_full_tmpfs_is_refused_with_a_typed_error_instead_of_SIGBUS_and_left_untouched(string kind)
    {
        using Tmpfs tmpfs = MountOrSkip("size=1m");
        // 800,000 bytes of float64 whose data pages are holes, as `truncate`, `cp --sparse=always` or
        // numpy's open_memmap leave them: only the header (and control block) pages are allocated.
        byte[] image = kind == "segment" ? SegmentImages.Segment(DType.Float64, [100_000]) : SegmentImages.Npy(DType.Float64, [100_000]);
        int dataOffset = kind == "segment" ? 4096 : 128;
        string name = "sparse";
        string path = tmpfs.PathOf(name);
        WriteSparse(path, image, dataOffset, kind == "segment");
        tmpfs.Fill();
        var before = Describe(path);
        Assert.True(before.Blocks * 512 < before.Size - 700_000, $"the file should be sparse: {before.Blocks} blocks for {before.Size} bytes");
        long holes = before.Size - (before.Blocks * 512);

        // The danger is real: a write into a hole fails, and a process that maps the file and touches a
        // hole, to write or merely to read, dies of SIGBUS.
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            Assert.Throws<IOException>(() => RandomAccess.Write(handle, new byte[] { 1 }, 400_000));
        }
        string sigbus = "SIGBUS not demonstrated (no python3)";
        if (Python.Executable is { } python)
        {
            foreach (string touch in new[] { "m[400000] = 1", "m[400000]" })
            {
                string script = $"import mmap, os\nfd = os.open({Quote(path)}, os.O_RDWR)\nm = mmap.mmap(fd, 0)\n{touch}\nprint('survived')";
                var result = Processes.Run(Processes.Start(python, ["-c", script]));
                Assert.True(result.ExitCode == 128 + 7, $"python '{touch}' should die of SIGBUS (exit 135), got {result.ExitCode}: {result.StdOut}{result.StdErr}");
            }
            sigbus = "python3 mapping it died of SIGBUS on a write and on a read";
        }

        // We refuse with a typed error instead: writable (the reservation fails) and read-only (on
        // tmpfs a read fault allocates too), by name and by path, in this process and in a child.
        var byName = new SharedArrayOpenOptions { Directory = tmpfs.Path };
        var refusals = new List<InsufficientSharedMemoryException>
        {
            Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray.Open(name, byName)),
            Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray.Open(path)),
            Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray.Open(name, byName with { ReadOnly = true })),
            Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray<double>.Open(path, new SharedArrayOpenOptions { ReadOnly = true })),
        };
        foreach (var e in refusals)
        {
            Assert.Equal(tmpfs.Path, e.Directory);
            Assert.Equal(holes, e.RequestedBytes);
            Assert.Equal(0, e.AvailableBytes);
            Assert.Contains("holes", e.Message, StringComparison.Ordinal);
            Assert.Contains("SIGBUS", e.Message, StringComparison.Ordinal);
            Assert.Contains($"has 0 B (0 bytes) free", e.Message, StringComparison.Ordinal);
        }
        SegmentInfo info = SharedArray.Inspect(name, tmpfs.Path); // reads only the header and control block: fine
        var handleText = new SharedArrayHandle(kind == "segment" ? name : path, info.Generation, DType.Float64, [100_000], 0, [1]).ToString();
        var child = Processes.Run(Processes.StartChild(new Dictionary<string, string> { ["SHARR_DIR"] = tmpfs.Path }, "fill", handleText, "1"));
        Assert.True(child.ExitCode == 2, $"the child should fail with a typed error, not die (exit {child.ExitCode}): {child.StdErr}");
        Assert.StartsWith(nameof(InsufficientSharedMemoryException), child.StdErr, StringComparison.Ordinal);

        // Nothing changed: not a byte, not a block, no new name.
        Assert.Equal(before, Describe(path));
        Assert.Equal(["filler", name], tmpfs.Entries());

        // With room again, a read-only open needs no reservation, and a writable one reserves the holes
        // so that writing every page is safe.
        File.Delete(tmpfs.PathOf("filler"));
        using (var reader = SharedArray<double>.Open(name, byName with { ReadOnly = true }))
        {
            Assert.Equal(before.Blocks, Describe(path).Blocks);
            Assert.Equal(0.0, reader.GetValue(50_000));
        }
        using (var writer = SharedArray<double>.Open(name, byName))
        {
            Assert.True(Describe(path).Blocks * 512 >= before.Size, "a writable open reserves every hole");
            writer.Fill(1.0);
            Assert.Equal(100_000.0, ArrayStatistics.Compute(writer).Sum);
        }
        Torture.Report($"sparse {kind} ({before.Size:N0} bytes, {holes:N0} in holes) in a full 1 MiB tmpfs: {sigbus}; " +
                       $"{refusals.Count} opens (writable and read-only, by name and by path) and 1 child refused with " +
                       "InsufficientSharedMemoryException, file unchanged (bytes, blocks), nothing left behind; " +
                       "with room, read-only open reserved nothing and writable open reserved the holes");
    }

    private static Tmpfs MountOrSkip(string options)
    {
        Tmpfs? tmpfs = Tmpfs.TryMount(options, out string? reason);
        if (tmpfs is null)
        {
            Assert.Skip(reason!);
        }
        return tmpfs;
    }

    /// <summary>Writes only the header (and control block) pages of <paramref name="image"/>; the rest is a hole.</summary>
    private static void WriteSparse(string path, byte[] image, int dataOffset, bool withControlBlock)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using var stream = new FileStream(path, options);
        stream.Write(image, 0, dataOffset);
        stream.SetLength(image.Length);
        if (withControlBlock)
        {
            stream.Position = image.Length - 4096;
            stream.Write(image, image.Length - 4096, 4096);
        }
    }

    /// <summary>Size, allocated 512-byte blocks, and a hash of the bytes (read with read(2), which allocates nothing on tmpfs).</summary>
    private static (long Size, long Blocks, string Hash) Describe(string path)
    {
        Assert.Equal(0, Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out StatxBuf st));
        return ((long)st.stx_size, (long)st.stx_blocks, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))));
    }

    private static string Quote(string text) => "'" + text.Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
