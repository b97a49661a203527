using System.Diagnostics;
using SharedArrays.Tests.CrossProcess;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Sync;

/// <summary>Versioned writes, consistent reads and change notification on one segment.</summary>
[Collection(nameof(CrossProcessCollection))]
public class SeqlockTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void The_version_is_odd_during_a_write_and_each_write_adds_two()
    {
        using var dir = new PrivateDirectory("seqv");
        using var array = SharedArray<int>.Create("a", [8], new SharedArrayCreateOptions { Directory = dir.Path });
        Assert.Equal(0, array.Version);
        using (SharedWriteScope write = array.BeginWrite(Ct))
        {
            Assert.Equal(1, write.Version);
            Assert.Equal(1, array.Version);
            Assert.False(write.PreviousOwnerDied);
            array.AsSpan().Fill(5);
            Assert.False(array.TryReadConsistent(new int[8], out _));
        }
        Assert.Equal(2, array.Version);
        SharedWriteScope second = array.BeginWrite(Generous, Ct);
        Assert.Equal(4, second.EndWrite());
        Assert.Throws<InvalidOperationException>(() => second.EndWrite());
        second.Dispose(); // after EndWrite: nothing to do

        var copy = new int[8];
        Assert.True(array.TryReadConsistent(copy, out long version));
        Assert.Equal(4, version);
        Assert.All(copy, x => Assert.Equal(5, x));
        Assert.Equal(4, array.ReadConsistent(copy, Generous, Ct));
        Assert.Equal(40, array.ReadConsistent((a, v) => a.AsReadOnlySpan().ToArray().Sum() + (int)v - 4, Generous, Ct));
        Assert.Throws<ArgumentException>(() => array.ReadConsistent(new int[7], Generous, Ct));
    }

    [Fact]
    public void A_write_belongs_to_its_thread()
    {
        using var dir = new PrivateDirectory("seqt");
        using var array = SharedArray<int>.Create("a", [8], new SharedArrayCreateOptions { Directory = dir.Path });
        SharedWriteScope write = array.BeginWrite(Ct);
        Exception? error = null;
        var other = new Thread(() => error = Record.Exception(() => write.EndWrite()));
        other.Start();
        other.Join();
        Assert.IsType<SynchronizationLockException>(error);
        Assert.Throws<LockRecursionException>(() => array.BeginWrite(TimeSpan.FromSeconds(1), Ct));
        write.Dispose();
        Assert.Equal(2, array.Version);
    }

    [Fact]
    public async Task A_reader_waits_out_a_write_in_progress_and_times_out_on_one_that_never_ends()
    {
        using var dir = new PrivateDirectory("seqw");
        using var array = SharedArray<long>.Create("a", [1000], new SharedArrayCreateOptions { Directory = dir.Path });
        using var writing = new ManualResetEventSlim();
        using var finish = new ManualResetEventSlim();
        var writer = new Thread(() =>
        {
            using SharedWriteScope write = array.BeginWrite(Ct);
            array.AsSpan().Fill(1);
            writing.Set();
            finish.Wait(Ct);
            array.AsSpan().Fill(2);
        });
        writer.Start();
        Assert.True(writing.Wait(Generous, Ct));

        var copy = new long[1000];
        var clock = Stopwatch.StartNew();
        Assert.Throws<TimeoutException>(() => array.ReadConsistent(copy, TimeSpan.FromMilliseconds(100), Ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.ThrowsAny<OperationCanceledException>(() => array.ReadConsistent(copy, Timeout.InfiniteTimeSpan, cts.Token));

        var reader = Task.Run(() => array.ReadConsistent(copy, Generous, Ct), Ct);
        Thread.Sleep(50);
        Assert.False(reader.IsCompleted);
        finish.Set();
        Assert.Equal(2, await reader.WaitAsync(Generous, Ct));
        Assert.All(copy, x => Assert.Equal(2, x));
        writer.Join();
    }

    [Fact]
    public async Task WaitForChange_returns_the_new_version_times_out_with_the_old_one_and_can_be_cancelled()
    {
        using var dir = new PrivateDirectory("seqc");
        using var array = SharedArray<long>.Create("a", [4], new SharedArrayCreateOptions { Directory = dir.Path });
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, array.WaitForChange(0, TimeSpan.FromMilliseconds(120), Ct));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(100), $"returned after {clock.Elapsed}");
        Assert.Equal(0, array.WaitForChange(0, TimeSpan.Zero, Ct));

        var waiter = Task.Run(() => array.WaitForChange(0, Generous, Ct), Ct);
        Thread.Sleep(30);
        using (array.BeginWrite(Ct))
        {
            array[0] = 1;
        }
        Assert.Equal(2, await waiter.WaitAsync(Generous, Ct));
        Assert.Equal(2, array.WaitForChange(0, Generous, Ct)); // already moved: returns at once

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        clock.Restart();
        Assert.ThrowsAny<OperationCanceledException>(() => array.WaitForChange(2, Timeout.InfiniteTimeSpan, cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_read_only_opener_reads_consistently_and_waits_for_changes()
    {
        using var dir = new PrivateDirectory("seqr");
        using var array = SharedArray<long>.Create("a", [4], new SharedArrayCreateOptions { Directory = dir.Path });
        using var reader = SharedArray<long>.Open("a", new SharedArrayOpenOptions { Directory = dir.Path, ReadOnly = true });
        var waiter = Task.Run(() => reader.WaitForChange(0, Generous, Ct), Ct);
        using (array.BeginWrite(Ct))
        {
            array.AsSpan().Fill(9);
        }
        Assert.Equal(2, await waiter.WaitAsync(Generous, Ct));
        var copy = new long[4];
        Assert.Equal(2, reader.ReadConsistent(copy, Generous, Ct));
        Assert.Equal([9, 9, 9, 9], copy);
        Assert.Throws<InvalidOperationException>(() => reader.BeginWrite(Ct));
    }

    [Fact]
    public void A_writer_killed_mid_write_is_reported_to_readers_and_repaired_by_the_next_writer()
    {
        using var dir = new PrivateDirectory("seqk");
        using var array = SharedArray<ulong>.Create("a", [4096], new SharedArrayCreateOptions { Directory = dir.Path });
        int pid = KillAWriterMidWrite(dir, out long oddVersion);
        Assert.Equal(1, oddVersion & 1);
        Assert.Equal(oddVersion, array.Version);

        var copy = new ulong[4096];
        var clock = Stopwatch.StartNew();
        WriterDiedException died = Assert.Throws<WriterDiedException>(() => array.ReadConsistent(copy, Timeout.InfiniteTimeSpan, Ct));
        Assert.Equal(pid, died.WriterPid);
        Assert.Throws<WriterDiedException>(() => array.WaitForChange(array.Version - 1, Timeout.InfiniteTimeSpan, Ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"told after {clock.Elapsed}");

        using (SharedWriteScope write = array.BeginWrite(Generous, Ct))
        {
            Assert.True(write.PreviousOwnerDied);
            Assert.Equal(oddVersion, write.Version); // still odd: readers keep refusing until the repair ends
            array.AsSpan().Fill(7);
            write.MarkConsistent();
        }
        Assert.Equal(oddVersion + 1, array.ReadConsistent(copy, Generous, Ct));
        Assert.All(copy, x => Assert.Equal(7ul, x));
        using (SharedWriteScope write = array.BeginWrite(Generous, Ct))
        {
            Assert.False(write.PreviousOwnerDied);
        }
    }

    [Fact]
    public void A_repair_that_does_not_mark_consistent_fails_closed_until_Reset()
    {
        using var dir = new PrivateDirectory("seqf");
        using var array = SharedArray<ulong>.Create("a", [4096], new SharedArrayCreateOptions { Directory = dir.Path });
        KillAWriterMidWrite(dir, out long oddVersion);

        using (SharedWriteScope write = array.BeginWrite(Generous, Ct))
        {
            Assert.True(write.PreviousOwnerDied);
            Assert.Equal(oddVersion, write.EndWrite()); // not marked: the version stays odd
        }
        Assert.Equal(oddVersion, array.Version);
        WriterDiedException inconsistent = Assert.Throws<WriterDiedException>(() => array.ReadConsistent(new ulong[4096], Generous, Ct));
        Assert.Contains("inconsistent", inconsistent.Message, StringComparison.Ordinal);
        Assert.Throws<MutexNotRecoverableException>(() => array.BeginWrite(Generous, Ct));

        array.Mutex.Reset();
        Assert.Equal(oddVersion + 1, array.Version);
        Assert.Equal(oddVersion + 1, array.ReadConsistent(new ulong[4096], Generous, Ct));
        using SharedWriteScope again = array.BeginWrite(Generous, Ct);
        Assert.False(again.PreviousOwnerDied);
    }

    [Fact]
    public unsafe void A_killed_writer_left_a_zombie_by_its_parent_still_counts_as_dead()
    {
        using var dir = new PrivateDirectory("seqz");
        using var array = SharedArray<ulong>.Create("a", [4096], new SharedArrayCreateOptions { Directory = dir.Path });
        // The writer's parent becomes `sleep`, which never reaps it: once killed it stays a zombie, and
        // /proc/PID still exists with its start time.
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        using var shell = Processes.Start("/bin/sh", ["-c", $"'{host}' '{Processes.TestChildDll}' sync-slow-writer a & exec sleep 120"], dir.Environment);
        try
        {
            Task<string?> line = shell.StandardOutput.ReadLineAsync(Ct).AsTask();
#pragma warning disable xUnit1031 // a bounded wait in a synchronous test: the writer thread must stay this one's
            Assert.True(line.Wait(Generous, Ct), "the writer did not start writing");
#pragma warning restore xUnit1031
            int pid = array.Segment.Control->WriterPid;
            Assert.NotEqual(0, pid);
            using (Process kill = Process.Start("kill", ["-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                kill.WaitForExit();
            }
            var clock = Stopwatch.StartNew();
            while (!File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart().StartsWith('Z'))
            {
                Assert.True(clock.Elapsed < Generous, "the killed writer did not become a zombie");
                Thread.Sleep(5);
            }
            clock.Restart();
            Assert.Equal(pid, Assert.Throws<WriterDiedException>(() => array.ReadConsistent(new ulong[4096], Generous, Ct)).WriterPid);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"told after {clock.Elapsed}");
        }
        finally
        {
            shell.Kill(); // sleep goes; init adopts and reaps the zombie
            shell.WaitForExit();
        }
    }

    /// <summary>A child begins a write to "a", writes half of it and is killed with SIGKILL.</summary>
    private static int KillAWriterMidWrite(PrivateDirectory dir, out long oddVersion)
    {
        using var child = Processes.StartChild(dir.Environment, "sync-slow-writer", "a");
        Task<string?> line = child.StandardOutput.ReadLineAsync(Ct).AsTask();
        Assert.True(line.Wait(Generous, Ct), "the writer did not start writing");
#pragma warning disable xUnit1031 // completed: Wait above returned true
        string[] parts = line.Result!.Split(' ');
#pragma warning restore xUnit1031
        Assert.Equal("M", parts[0]);
        oddVersion = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        child.Kill();
        Assert.True(child.WaitForExit(10_000));
        return child.Id;
    }
}
