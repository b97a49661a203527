using System.Globalization;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.CrossProcess;

/// <summary>Real child processes (tests/SharedArrays.TestChild) attach, write, exit and are killed.</summary>
[Collection(nameof(CrossProcessCollection))]
public class CrossProcessTests
{
    private static string ShmPath(string name) => Path.Combine("/dev/shm", name);

    [Fact]
    public void Child_opens_by_handle_and_its_writes_are_visible_to_the_parent()
    {
        using var array = SharedArray<double>.Create(Names.Unique("xp"), [1000, 100]);
        var result = Processes.RunChild("fill", array.Handle.ToString(), "6.5");
        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal(650_000.0, ArrayStatistics.Compute(array).Sum);
        Assert.True(File.Exists(array.Path), "the child's exit must not remove the name");
    }

    [Fact]
    public void A_view_handle_reopens_exactly_that_view_in_the_child()
    {
        using var array = SharedArray<int>.Create(Names.Unique("xpview"), [10, 8]);
        using SharedArray<int> view = array.Rows(2, 3).Slice(1, 4, 2);
        var result = Processes.RunChild("fill", view.Handle.ToString(), "9");
        Assert.True(result.ExitCode == 0, result.StdErr);
        for (long i = 0; i < 10; i++)
        {
            for (long j = 0; j < 8; j++)
            {
                bool inside = i is >= 2 and < 5 && j is >= 4 and < 6;
                Assert.Equal(inside ? 9 : 0, array[i, j]);
            }
        }
        var sum = Processes.RunChild("sum", view.Handle.ToString());
        Assert.Equal("54", sum.StdOut.Trim());
    }

    [Fact]
    public void An_attacher_exiting_never_removes_the_name()
    {
        using var array = SharedArray<byte>.Create(Names.Unique("xpattach"), [16]);
        var result = Processes.RunChild("attach", array.Name);
        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal(array.Handle.ToString(), result.StdOut.Trim());
        Assert.True(File.Exists(array.Path));
        using var again = SharedArray<byte>.Open(array.Name);
        Assert.Equal(16, again.Length);
    }

    [Fact]
    public void A_handle_of_a_recreated_name_is_refused_in_the_child()
    {
        string name = Names.Unique("xpstale");
        string handle;
        using (var first = SharedArray<double>.Create(name, [4]))
        {
            handle = first.Handle.ToString();
        }
        using var second = SharedArray<double>.Create(name, [4]);
        var result = Processes.RunChild("fill", handle, "1");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(nameof(StaleHandleException), result.StdErr, StringComparison.Ordinal);
        Assert.Equal(0.0, ArrayStatistics.Compute(second).Sum);
    }

    [Theory]
    [InlineData("exit")]
    [InlineData("throw")]
    public void The_creator_removes_its_name_when_it_exits_without_disposing(string mode)
    {
        string name = Names.Unique("xpexit");
        try
        {
            var result = Processes.RunChild("create", name, mode);
            Assert.Contains("ready", result.StdOut, StringComparison.Ordinal);
            Assert.False(File.Exists(ShmPath(name)), $"'{mode}' left the segment behind. {result.StdErr}");
        }
        finally
        {
            Names.Cleanup(name);
        }
    }

    [Theory]
    [InlineData(2)]  // SIGINT
    [InlineData(15)] // SIGTERM
    [InlineData(1)]  // SIGHUP
    public void The_creator_removes_its_name_when_signalled(int signal)
    {
        string name = Names.Unique("xpsig");
        try
        {
            using var child = Processes.StartChild("create", name, "wait");
            Processes.WaitForLine(child, "ready");
            Assert.True(File.Exists(ShmPath(name)));
            Processes.Signal(child, signal);
            Assert.False(File.Exists(ShmPath(name)), $"signal {signal} left the segment behind");
        }
        finally
        {
            Names.Cleanup(name);
        }
    }

    [Theory]
    [InlineData(2, 0)]    // SIGINT as soon as the temporary name appears
    [InlineData(15, 0)]   // SIGTERM likewise
    [InlineData(2, 300)]  // SIGINT while it reserves or fills
    [InlineData(15, 300)] // SIGTERM likewise
    public void A_creator_signalled_while_it_reserves_and_fills_leaves_nothing_behind(int signal, int delayMilliseconds)
    {
        // A private directory on the same tmpfs, so that the temporary name can be attributed.
        string directory = Path.Combine("/dev/shm", Names.Unique("xpmid"));
        Directory.CreateDirectory(directory);
        try
        {
            string name = "mid";
            // 256 Mi float64 = 2 GiB: reserving and filling it takes long enough to land a signal in.
            using var child = Processes.StartChild(new Dictionary<string, string> { ["SHARR_DIR"] = directory }, "create-big", name, (256L << 20).ToString(CultureInfo.InvariantCulture));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            string[] entries;
            while ((entries = Directory.GetFileSystemEntries(directory)).Length == 0 && !child.HasExited && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(1);
            }
            Assert.True(entries.Length == 1 && Path.GetFileName(entries[0]).StartsWith(".sharr-tmp-", StringComparison.Ordinal),
                $"expected the creator's temporary name, saw [{string.Join(", ", entries)}]");
            Thread.Sleep(delayMilliseconds);
            Processes.Signal(child, signal);
            Assert.Empty(Directory.GetFileSystemEntries(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Segments_are_0600_whatever_the_creators_umask()
    {
        string name = Names.Unique("xpumask");
        try
        {
            // umask 0277 would strip owner write from the 0600 create mode; fchmod restores it.
            string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
            using var child = Processes.Start("/bin/sh", ["-c", $"umask 0277; exec \"{dotnet}\" \"{Processes.TestChildDll}\" create {name} wait"]);
            Processes.WaitForLine(child, "ready");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ShmPath(name)));
            child.StandardInput.Close();
            Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.False(File.Exists(ShmPath(name)));
        }
        finally
        {
            Names.Cleanup(name);
        }
    }

    [Fact]
    public void An_opener_racing_the_creator_sees_not_found_or_a_complete_segment()
    {
        string name = Names.Unique("xprace");
        using var child = Processes.StartChild("churn", name, "300");
        int complete = 0, notFound = 0;
        while (!child.HasExited)
        {
            try
            {
                using var array = SharedArray<double>.Open(name, new SharedArrayOpenOptions { ReadOnly = true });
                // The child fills with 7 before publishing: a complete segment has no other value.
                Assert.Equal(1000, array.Length);
                Assert.Equal(7.0 * 1000, ArrayStatistics.Compute(array).Sum);
                complete++;
            }
            catch (SegmentNotFoundException)
            {
                notFound++;
            }
        }
        Assert.Equal(0, child.ExitCode);
        Assert.True(complete + notFound > 0);
        Console.WriteLine($"race: {complete} complete opens, {notFound} not found, 0 partial");
    }

    [Fact]
    public void After_kill_9_the_segment_is_left_for_the_collector_and_readable()
    {
        string name = Names.Unique("xpkill");
        try
        {
            using var child = Processes.StartChild("create", name, "wait");
            Processes.WaitForLine(child, "ready");
            int pid = child.Id;
            Processes.Signal(child, 9);
            Assert.True(File.Exists(ShmPath(name)), "kill -9 runs no cleanup: the segment is an orphan now");
            SegmentInfo info = SharedArray.Inspect(name);
            Assert.Equal(pid, info.CreatorPid);
            Assert.False(info.CreatorAlive);
            Assert.False(info.Persistent);
            using var array = SharedArray<double>.Open(name);
            Assert.Equal(7.0, array[999]);
        }
        finally
        {
            Names.Cleanup(name);
        }
    }

    [Fact]
    public void Inspect_reports_a_live_creator()
    {
        using var array = SharedArray<float>.Create(Names.Unique("xplive"), [3]);
        SegmentInfo info = SharedArray.Inspect(array.Name);
        Assert.Equal(Environment.ProcessId, info.CreatorPid);
        Assert.True(info.CreatorAlive);
        Assert.Equal(array.Generation, info.Generation);
        Assert.Contains(SharedArray.List(), s => s.Name == array.Name);
    }

    [Fact]
    public void More_than_2_pow_31_elements_are_written_at_both_ends_and_read_back_in_another_process()
    {
        long n = (1L << 31) + 4097;
        string name = Names.Unique("huge");
        using var array = SharedArray<byte>.Create(name, [n]);
        Assert.Equal(n, array.Length);
        array[0] = 1;
        array[n - 1] = 2;
        array.AsSpan(n - 4097, 4096).Fill(0); // a span past 2^31
        array[(1L << 31) + 1] = 3;
        long chunks = 0;
        foreach (ReadOnlySpan<byte> chunk in array.GetReadOnlyChunks())
        {
            chunks++;
        }
        Assert.Equal(3, chunks); // 2^30 + 2^30 + the rest
        var sum = Processes.RunChild("sum", array.Handle.ToString());
        Assert.True(sum.ExitCode == 0, sum.StdErr);
        Assert.Equal(6.0, double.Parse(sum.StdOut, CultureInfo.InvariantCulture));
        using var reopened = SharedArray<byte>.Open(name, [n]);
        Assert.Equal(2, reopened.GetValue(n - 1));
        Assert.Equal(3, reopened.GetValue((1L << 31) + 1));
    }
}

[CollectionDefinition(nameof(CrossProcessCollection), DisableParallelization = true)]
public sealed class CrossProcessCollection;
