using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using SharedArrays.Tests.CrossProcess;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Lifecycle;

/// <summary>
/// Who maps a segment, read from the real /proc: this process, real children, a child still holding
/// a removed segment. Sizes are checked with wide bounds: the kernel rounds to pages and whole KiB,
/// and may fault in neighbouring pages on a read.
/// </summary>
[Collection(nameof(CrossProcessCollection))]
public class SegmentUsersTests
{
    private const long DataBytes = 8L << 20;
    private const long Slack = 256L << 10;

    private static string OwnCommandLine() => File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Replace('\0', ' ');

    [Fact]
    public void The_creator_is_a_user_with_about_the_bytes_it_touched_resident()
    {
        using var array = SharedArray<double>.Create(Names.Unique("psself"), [DataBytes / 8]);
        long fileBytes = new FileInfo(array.Path).Length;

        SegmentUser fresh = Assert.Single(array.GetUsers());
        Assert.Equal(Environment.ProcessId, fresh.Pid);
        Assert.Equal(array.Name, fresh.Name);
        Assert.Equal(OwnCommandLine(), fresh.CommandLine);
        Assert.Equal(fileBytes, fresh.MappedBytes);
        Assert.True(fresh.Writable);
        // Creating wrote the header and the control block; the reserved data pages are not mapped in yet.
        Assert.InRange(fresh.ResidentBytes, 0, Slack);

        array.AsSpan(0, (int)(DataBytes / 16)).Fill(1.0);
        SegmentUser half = Assert.Single(SharedArray.GetUsers(array.Name));
        Assert.InRange(half.ResidentBytes, DataBytes / 2, DataBytes / 2 + Slack);
        // Nobody else maps these pages: the proportional share is all of them.
        Assert.InRange(half.ProportionalBytes, half.ResidentBytes - Slack, half.ResidentBytes);

        // A second open is a second mapping: one user, twice the address space.
        using (var again = SharedArray<double>.Open(array.Name, new SharedArrayOpenOptions { ReadOnly = true }))
        {
            SegmentUser twice = Assert.Single(again.GetUsers());
            Assert.Equal(2 * fileBytes, twice.MappedBytes);
            Assert.InRange(twice.ResidentBytes, half.ResidentBytes, half.ResidentBytes + Slack);
            Assert.True(twice.Writable, "one of the two mappings is writable");
        }
    }

    [Fact]
    public void A_child_that_read_everything_shares_the_pages_and_is_gone_once_it_exits()
    {
        using var array = SharedArray<double>.Full(Names.Unique("pschild"), [DataBytes / 8], 1.0);
        using Process child = Processes.StartChild("ps-touch", array.Handle.ToString());
        try
        {
            Processes.WaitForLine(child, "ready");
            IReadOnlyList<SegmentUser> users = SharedArray.GetUsers(array.Name);
            Assert.Equal(new[] { Environment.ProcessId, child.Id }.Order(), users.Select(u => u.Pid));
            SegmentUser parent = users.Single(u => u.Pid == Environment.ProcessId);
            SegmentUser other = users.Single(u => u.Pid == child.Id);

            Assert.Contains("SharedArrays.TestChild", other.CommandLine, StringComparison.Ordinal);
            Assert.Contains("ps-touch " + array.Handle, other.CommandLine, StringComparison.Ordinal);
            Assert.False(other.Writable, "the child opened it read-only");
            Assert.True(parent.Writable);
            foreach (SegmentUser user in users)
            {
                Assert.Equal(array.Name, user.Name);
                // Each has every data page resident; each page is shared by two, so each carries half.
                Assert.InRange(user.ResidentBytes, DataBytes, user.MappedBytes);
                Assert.InRange(user.ProportionalBytes, DataBytes * 4 / 10, DataBytes * 6 / 10);
            }
            // Together the shares count the memory once.
            Assert.InRange(parent.ProportionalBytes + other.ProportionalBytes, DataBytes - Slack, parent.MappedBytes);

            child.StandardInput.Close();
            Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)), "the child did not exit");
            Assert.Equal(0, child.ExitCode);

            SegmentUser alone = Assert.Single(array.GetUsers());
            Assert.Equal(Environment.ProcessId, alone.Pid);
            Assert.InRange(alone.ProportionalBytes, alone.ResidentBytes - Slack, alone.ResidentBytes);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }
        }
    }

    [Fact]
    public void A_process_still_mapping_a_removed_segment_is_not_a_user_of_a_new_one_of_that_name()
    {
        string name = Names.Unique("psgone");
        Process? child = null;
        try
        {
            using (var first = SharedArray<double>.Full(name, [4096], 1.0))
            {
                child = Processes.StartChild("ps-touch", name);
                Processes.WaitForLine(child, "ready");
                Assert.Contains(child.Id, SharedArray.GetUsers(name).Select(u => u.Pid));
            }

            // The name is gone, the child still maps the old object; its maps shows the old path.
            Assert.Contains($"/dev/shm/{name} (deleted)", File.ReadAllText($"/proc/{child.Id}/maps"), StringComparison.Ordinal);

            using var second = SharedArray<double>.Full(name, [4096], 2.0);
            SegmentUser only = Assert.Single(SharedArray.GetUsers(name));
            Assert.Equal(Environment.ProcessId, only.Pid);
            Assert.Equal(Environment.ProcessId, Assert.Single(second.GetUsers()).Pid);
            Assert.DoesNotContain(SharedArray.GetAllUsers(), u => u.Pid == child.Id);
        }
        finally
        {
            Processes.CloseAndWait(child);
        }
    }

    [Fact]
    public void GetAllUsers_lists_the_mapped_segments_of_a_directory_and_nothing_else()
    {
        // A private directory on the same tmpfs, so that nobody else's segments are listed.
        string directory = Path.Combine("/dev/shm", Names.Unique("psdir"));
        Directory.CreateDirectory(directory);
        try
        {
            var options = new SharedArrayCreateOptions { Directory = directory };
            using var mapped = SharedArray<byte>.Create("mapped", [4096], options);
            using (SharedArray<byte>.Create("idle", [4096], options with { Persistent = true }))
            {
            }
            // A file that is no segment, mapped by this process all the same: not a segment user.
            string other = Path.Combine(directory, "notes");
            File.WriteAllBytes(other, new byte[4096]);
            using var file = MemoryMappedFile.CreateFromFile(other, FileMode.Open);
            using MemoryMappedViewAccessor view = file.CreateViewAccessor();

            SegmentUser user = Assert.Single(SharedArray.GetAllUsers(directory));
            Assert.Equal(("mapped", Environment.ProcessId), (user.Name, user.Pid));
            Assert.Empty(SharedArray.GetUsers("idle", directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Asking_about_a_missing_segment_or_a_disposed_array_throws()
    {
        Assert.Throws<SegmentNotFoundException>(() => SharedArray.GetUsers(Names.Unique("psmissing")));
        var array = SharedArray<byte>.Create(Names.Unique("psdisposed"), [16]);
        array.Dispose();
        Assert.Throws<ObjectDisposedException>(() => array.GetUsers());
    }
}
