using System.Diagnostics;
using SharedArrays.Format;
using SharedArrays.Tests.CrossProcess;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Sync;

/// <summary>The robust cross-process mutex: exclusion, timeouts, cancellation, a dead holder, fail-closed and Reset.</summary>
[Collection(nameof(CrossProcessCollection))]
public unsafe class SharedMutexTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Lock_excludes_another_thread_until_released()
    {
        using var dir = new PrivateDirectory("mtx");
        using var array = SharedArray<long>.Create("a", [4], new SharedArrayCreateOptions { Directory = dir.Path });
        using var locked = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using SharedMutexScope held = array.Mutex.Lock(Generous, Ct);
            Assert.False(held.PreviousOwnerDied);
            locked.Set();
            release.Wait(Ct);
        });
        holder.Start();
        Assert.True(locked.Wait(Generous, Ct));

        Assert.False(array.Mutex.TryLock(TimeSpan.Zero, out _, Ct));
        var clock = Stopwatch.StartNew();
        Assert.False(array.Mutex.TryLock(TimeSpan.FromMilliseconds(120), out _, Ct));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(100), $"gave up after {clock.Elapsed}");
        Assert.Throws<TimeoutException>(() => array.Mutex.Lock(TimeSpan.FromMilliseconds(10), Ct));

        release.Set();
        holder.Join();
        Assert.True(array.Mutex.TryLock(Generous, out SharedMutexScope mine, Ct));
        mine.Dispose();
    }

    [Fact]
    public void A_wait_for_a_held_lock_is_cancelled_promptly()
    {
        using var dir = new PrivateDirectory("mtxc");
        using var array = SharedArray<long>.Create("a", [1], new SharedArrayCreateOptions { Directory = dir.Path });
        using var locked = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using SharedMutexScope held = array.Mutex.Lock(Ct);
            locked.Set();
            release.Wait(Ct);
        });
        holder.Start();
        Assert.True(locked.Wait(Generous, Ct));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => array.Mutex.Lock(cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"cancellation took {clock.Elapsed}");
        release.Set();
        holder.Join();
    }

    [Fact]
    public void Locking_twice_on_one_thread_or_releasing_on_another_is_refused()
    {
        using var dir = new PrivateDirectory("mtxr");
        using var array = SharedArray<long>.Create("a", [1], new SharedArrayCreateOptions { Directory = dir.Path });
        SharedMutexScope held = array.Mutex.Lock(Ct);
        Assert.Throws<LockRecursionException>(() => array.Mutex.Lock(TimeSpan.FromSeconds(1), Ct));
        Exception? fromOtherThread = null;
        var other = new Thread(() => fromOtherThread = Record.Exception(() => held.Dispose()));
        other.Start();
        other.Join();
        Assert.IsType<SynchronizationLockException>(fromOtherThread);
        held.Dispose();
        Assert.Throws<SynchronizationLockException>(() => held.Dispose()); // not held any more
    }

    [Fact]
    public void A_named_mutex_of_its_own_excludes_across_separate_mappings()
    {
        using var dir = new PrivateDirectory("mtxn");
        var options = new SharedArrayCreateOptions { Directory = dir.Path };
        using SharedMutex created = SharedMutex.Create("lock", options);
        using SharedMutex opened = SharedMutex.Open("lock", new SharedArrayOpenOptions { Directory = dir.Path });
        using SharedMutex again = SharedMutex.OpenOrCreate("lock", options);
        using SharedMutex fresh = SharedMutex.OpenOrCreate("other", options);
        Assert.Equal(["lock", "other"], dir.Entries());

        using (created.Lock(Ct))
        {
            bool got = true;
            var t = new Thread(() => got = opened.TryLock(TimeSpan.FromMilliseconds(50), out _, Ct) || again.TryLock(TimeSpan.Zero, out _, Ct));
            t.Start();
            t.Join();
            Assert.False(got);
            using SharedMutexScope independent = fresh.Lock(Generous, Ct);
        }
        using (opened.Lock(Generous, Ct))
        {
        }
    }

    [Fact]
    public void A_read_only_array_or_a_plain_npy_has_no_usable_mutex()
    {
        using var dir = new PrivateDirectory("mtxo");
        using var array = SharedArray<long>.Create("a", [1], new SharedArrayCreateOptions { Directory = dir.Path });
        using var readOnly = SharedArray<long>.Open("a", new SharedArrayOpenOptions { Directory = dir.Path, ReadOnly = true });
        Assert.Throws<InvalidOperationException>(() => readOnly.Mutex.Lock(Ct));
        Assert.Throws<ArgumentException>(() => SharedMutex.Open("a", new SharedArrayOpenOptions { Directory = dir.Path, ReadOnly = true }));

        string npy = Path.Combine(dir.Path, "plain.npy");
        NpyFile.Save(array, npy);
        using var plain = SharedArray.Open(npy);
        Assert.Throws<InvalidOperationException>(() => plain.Mutex.Lock(Ct));
        Assert.Throws<InvalidOperationException>(() => plain.Version);
    }

    [Fact]
    public void A_zeroed_lock_area_from_older_code_is_initialised_once_by_racing_threads()
    {
        using var dir = new PrivateDirectory("mtxz");
        using var array = SharedArray<long>.Create("a", [1], new SharedArrayCreateOptions { Directory = dir.Path });
        ControlBlock* cb = array.Segment.Control;
        Assert.Equal(2u, (uint)cb->MutexInit); // ready from creation
        new Span<byte>((byte*)cb + 512, 128).Clear(); // what a segment made before the lock existed holds

        using var start = new Barrier(4);
        long total = 0;
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < 1000; i++)
            {
                using SharedMutexScope held = array.Mutex.Lock(Generous, Ct);
                Assert.False(held.PreviousOwnerDied);
                long t = Volatile.Read(ref total);
                Volatile.Write(ref total, t + 1);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(4000, total);
        Assert.Equal(2u, (uint)cb->MutexInit);
        Assert.Equal(Environment.ProcessId, (int)(cb->MutexInit >> 32));
    }

    [Fact]
    public void A_holder_killed_with_sigkill_is_reported_to_the_next_locker_who_recovers_by_marking_consistent()
    {
        using var dir = new PrivateDirectory("mtxk");
        using var array = SharedArray<long>.Create("a", [1], new SharedArrayCreateOptions { Directory = dir.Path });
        KillAHolder(dir);

        using (SharedMutexScope held = array.Mutex.Lock(Generous, Ct))
        {
            Assert.True(held.PreviousOwnerDied);
            held.MarkConsistent();
        }
        using (SharedMutexScope held = array.Mutex.Lock(Generous, Ct))
        {
            Assert.False(held.PreviousOwnerDied);
        }
    }

    [Fact]
    public void Releasing_without_marking_consistent_fails_closed_until_Reset()
    {
        using var dir = new PrivateDirectory("mtxf");
        using var array = SharedArray<long>.Create("a", [1], new SharedArrayCreateOptions { Directory = dir.Path });
        KillAHolder(dir);

        using (SharedMutexScope held = array.Mutex.Lock(Generous, Ct))
        {
            Assert.True(held.PreviousOwnerDied);
        }
        Assert.Throws<MutexNotRecoverableException>(() => array.Mutex.Lock(Generous, Ct));
        Assert.Throws<MutexNotRecoverableException>(() => array.Mutex.TryLock(TimeSpan.Zero, out _, Ct));
        Assert.Throws<MutexNotRecoverableException>(() => array.BeginWrite(Generous, Ct));

        // Another process sees the same state.
        using (var child = Processes.StartChild(dir.Environment, "sync-hold", "a"))
        {
            var result = Processes.Run(child);
            Assert.Equal(2, result.ExitCode);
            Assert.StartsWith(nameof(MutexNotRecoverableException), result.StdErr, StringComparison.Ordinal);
        }

        array.Mutex.Reset();
        using (SharedMutexScope held = array.Mutex.Lock(Generous, Ct))
        {
            Assert.False(held.PreviousOwnerDied);
        }
    }

    [Fact]
    public void Reset_refuses_a_lock_a_live_thread_holds()
    {
        using var dir = new PrivateDirectory("mtxh");
        using var array = SharedArray<long>.Create("a", [1], new SharedArrayCreateOptions { Directory = dir.Path });
        using var child = Processes.StartChild(dir.Environment, "sync-hold", "a");
        Processes.WaitForLine(child, "locked 0");
        Assert.Throws<InvalidOperationException>(() => array.Mutex.Reset());
        child.StandardInput.Close();
        Assert.True(child.WaitForExit(10_000));
        Assert.Equal(0, child.ExitCode);
        array.Mutex.Reset(); // free and consistent: nothing to do, and harmless
        using SharedMutexScope held = array.Mutex.Lock(Generous, Ct);
        Assert.False(held.PreviousOwnerDied);
    }

    [Fact]
    public void Disposing_an_array_while_holding_its_lock_keeps_it_mapped_until_the_release()
    {
        using var dir = new PrivateDirectory("mtxd");
        var options = new SharedArrayCreateOptions { Directory = dir.Path };
        // A created segment is mapped under its temporary name, so look for its inode (the fifth column).
        static bool Mapped(ulong inode) => File.ReadLines("/proc/self/maps")
            .Any(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 5 } f && f[4] == inode.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // glibc keeps a held robust mutex on the thread's robust list, inside the mapping: unmapping it
        // there would crash this thread's next robust lock or unlock.
        using var before = SharedArray<long>.Create("before", [1], options);
        SharedMutexScope first = before.Mutex.Lock(Ct);
        var array = SharedArray<long>.Create("a", [1], options);
        ulong inode = array.Segment.Identity.Inode;
        SharedMutexScope held = array.Mutex.Lock(Ct);
        array.Dispose();
        Assert.True(Mapped(inode), "unmapped while its robust mutex is held");
        held.Dispose();
        Assert.False(Mapped(inode), "still mapped after the release");
        first.Dispose(); // walks the robust list past where "a" was

        var written = SharedArray<long>.Create("w", [1], options);
        inode = written.Segment.Identity.Inode;
        SharedWriteScope write = written.BeginWrite(Ct);
        written.Dispose();
        Assert.True(Mapped(inode));
        Assert.Equal(2, write.EndWrite());
        Assert.False(Mapped(inode));
        Assert.Throws<ObjectDisposedException>(() => held.Dispose()); // a stale copy after the unmap touches nothing

        // A lock held through one open keeps only that open mapped: another open of the same segment,
        // disposed meanwhile, unmaps at once (it used to wait for an unlock that was never its own).
        using var shared = SharedArray<long>.Create("s", [1], options);
        using (SharedMutexScope locked = shared.Mutex.Lock(Ct))
        {
            var other = SharedArray<long>.Open("s", new SharedArrayOpenOptions { Directory = dir.Path });
            ulong sharedInode = other.Segment.Identity.Inode;
            int mappingsWithOther = File.ReadLines("/proc/self/maps").Count(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 5 } f && f[4] == sharedInode.ToString(System.Globalization.CultureInfo.InvariantCulture));
            other.Dispose();
            int mappingsAfter = File.ReadLines("/proc/self/maps").Count(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 5 } f && f[4] == sharedInode.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(mappingsWithOther - 1, mappingsAfter);
        }
    }

    /// <summary>A child locks the mutex of "a" and is killed with SIGKILL while it holds it.</summary>
    private static void KillAHolder(PrivateDirectory dir)
    {
        using var child = Processes.StartChild(dir.Environment, "sync-hold", "a");
        Processes.WaitForLine(child, "locked 0");
        child.Kill(); // SIGKILL
        Assert.True(child.WaitForExit(10_000));
    }
}
