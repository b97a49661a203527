using System.Diagnostics;
using System.Globalization;
using SharedArrays.Tests.CrossProcess;
using SharedArrays.Tests.Infrastructure;
using SharedArrays.Workers;

namespace SharedArrays.Tests.Workers;

/// <summary>
/// The pool with real worker processes: the test child (tests/SharedArrays.TestChild) registers the work
/// functions in PoolModes.cs and serves them when started as a worker.
/// </summary>
[Collection(nameof(CrossProcessCollection))]
public class WorkerPoolTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static WorkerPoolOptions Options(int workers, WorkerInitializer? initializer = null) => new()
    {
        Workers = workers,
        Initializer = initializer,
        WorkerExecutable = Processes.DotnetHost,
        WorkerArguments = [Processes.TestChildDll],
    };

    private static bool IsRunning(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void WaitUntilGone(IEnumerable<int> pids, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (pids.Any(IsRunning) && clock.Elapsed < timeout)
        {
            Thread.Sleep(20);
        }
        Assert.DoesNotContain(pids, IsRunning);
    }

    [Fact]
    public async Task Map_returns_results_in_item_order_and_reports_progress_for_every_item()
    {
        using WorkerPool pool = WorkerPool.Start(Options(3));
        Assert.Equal(3, pool.WorkerPids.Distinct().Count());
        var reports = new List<WorkerProgress>();
        var progress = new SynchronousProgress<WorkerProgress>(p => { lock (reports) { reports.Add(p); } });
        long[] items = Enumerable.Range(0, 2000).Select(i => (long)i - 1000).ToArray();
        long[] squares = await pool.MapAsync<long, long>("square", items, progress, Ct);
        Assert.Equal(items.Select(x => x * x), squares);
        Assert.Equal(2000, reports.Count);
        Assert.Equal(Enumerable.Range(1, 2000).Select(i => (long)i), reports.Select(r => r.Completed).Order());
        Assert.All(reports, r => Assert.Contains(r.WorkerPid, pool.WorkerPids));
        Assert.True(reports.Select(r => r.WorkerPid).Distinct().Count() > 1, "dynamic scheduling hands items to every free worker");
        Assert.Equal("a+b+c", await pool.RunAsync<string[], string>("join", ["a", "b", "c"], Ct));
    }

    [Fact]
    public async Task Worker_exceptions_come_back_with_the_remote_type_message_and_stack()
    {
        using WorkerPool pool = WorkerPool.Start(Options(2));
        var single = await Assert.ThrowsAsync<WorkerException>(() => pool.RunAsync<string, int>("throw", "boom", Ct));
        Assert.Equal("System.InvalidOperationException", single.RemoteType);
        Assert.Equal("boom", single.RemoteMessage);
        Assert.Contains("Thrower.Throw", single.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Contains(single.WorkerPid, pool.WorkerPids);
        Assert.Contains("remote stack trace", single.ToString(), StringComparison.Ordinal);

        var many = await Assert.ThrowsAsync<AggregateException>(() => pool.MapAsync<string, int>("throw", ["x", "y", "z"], cancellationToken: Ct));
        Assert.Equal(3, many.InnerExceptions.Count);
        Assert.Equal([0L, 1L, 2L], many.InnerExceptions.Cast<WorkerException>().Select(e => e.ItemIndex).Order());

        var unknown = await Assert.ThrowsAsync<WorkerException>(() => pool.RunAsync<long, long>("no-such-function", 1, Ct));
        Assert.Equal(typeof(KeyNotFoundException).FullName, unknown.RemoteType);
        Assert.Equal(new long[] { 4 }, await pool.MapAsync<long, long>("square", [2], cancellationToken: Ct)); // the pool goes on
    }

    [Fact]
    public async Task Kill_9_of_a_worker_mid_item_fails_that_item_naming_pid_and_signal_and_the_pool_goes_on_with_a_replacement()
    {
        using WorkerPool pool = WorkerPool.Start(Options(2));
        int[] before = pool.WorkerPids.ToArray();
        using var slot = SharedArray<long>.Create(Names.Unique("poolkill"), [1]);
        Task<int> running = pool.RunAsync<SharedArrayHandle, int>("report-then-sleep", slot.Handle, Ct);
        var clock = Stopwatch.StartNew();
        while (Volatile.Read(ref slot[0]) == 0 && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(1);
        }
        int victim = (int)slot[0];
        Assert.Contains(victim, before);
        using (Process process = Process.GetProcessById(victim))
        {
            process.Kill(); // SIGKILL
        }

        var crash = await Assert.ThrowsAsync<WorkerCrashedException>(() => running);
        Assert.Equal(victim, crash.WorkerPid);
        Assert.Equal(9, crash.Signal);
        Assert.Contains(victim.ToString(CultureInfo.InvariantCulture), crash.Message, StringComparison.Ordinal);
        Assert.Contains("SIGKILL", crash.Message, StringComparison.Ordinal);

        long[] squares = await pool.MapAsync<long, long>("square", Enumerable.Range(0, 200).Select(i => (long)i), cancellationToken: Ct);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i * i), squares);
        clock.Restart();
        while (pool.Replacements == 0 && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(10); // the replacement starts in the background; the other worker ran the map meanwhile
        }
        Assert.Equal(1, pool.Replacements);
        Assert.Equal(2, pool.WorkerPids.Count(p => p != 0));
        Assert.DoesNotContain(victim, pool.WorkerPids);
    }

    [Fact]
    public async Task A_worker_that_exits_mid_item_is_reported_with_its_exit_code_and_replaced()
    {
        using WorkerPool pool = WorkerPool.Start(Options(1));
        var crash = await Assert.ThrowsAsync<WorkerCrashedException>(() => pool.RunAsync<int, int>("exit", 42, Ct));
        Assert.Equal(42, crash.ExitCode);
        Assert.Null(crash.Signal);
        Assert.Equal(9L * 9, await pool.RunAsync<long, long>("square", 9, Ct));
    }

    [Fact]
    public async Task Cancelling_a_map_stops_it_promptly_and_the_pool_stays_usable()
    {
        using WorkerPool pool = WorkerPool.Start(Options(2));
        using var slot = SharedArray<long>.Create(Names.Unique("poolcancel"), [1]);
        using var cancellation = new CancellationTokenSource();
        Task<int[]> map = pool.MapAsync<SharedArrayHandle, int>("report-then-sleep", Enumerable.Repeat(slot.Handle, 10), cancellationToken: cancellation.Token);
        while (Volatile.Read(ref slot[0]) == 0)
        {
            Thread.Sleep(1);
        }
        var clock = Stopwatch.StartNew();
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => map);
        // The running items were told to stop (their function takes the token), so the workers are free again.
        Assert.Equal(new long[] { 1, 4, 9 }, await pool.MapAsync<long, long>("square", [1, 2, 3], cancellationToken: Ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Equal(0, pool.Replacements);
    }

    [Fact]
    public async Task The_initializer_attaches_a_shared_array_once_per_worker_and_items_write_into_it()
    {
        using var array = SharedArray<double>.Full(Names.Unique("poolinit"), [100, 1000], 42);
        using WorkerPool pool = WorkerPool.Start(Options(3, WorkerInitializer.Create("attach", array.Handle)));
        int[] pids = await pool.MapAsync<long[], int>("fill-rows", Enumerable.Range(0, 10).Select(i => new long[] { i * 10, 10 }), cancellationToken: Ct);
        for (int chunk = 0; chunk < 10; chunk++)
        {
            for (long row = chunk * 10; row < chunk * 10 + 10; row++)
            {
                Assert.Equal(pids[chunk], array[row, 0]);
                Assert.Equal(pids[chunk], array[row, 999]);
            }
        }
        Assert.Subset(pool.WorkerPids.ToHashSet(), pids.ToHashSet());
        Assert.Equal(pids.Sum(p => 1000.0 * 10 * p), await pool.RunAsync<SharedArrayHandle, double>("sum", array.Handle, Ct));
    }

    [Fact]
    public void A_failing_initializer_fails_start_and_leaves_no_worker_running()
    {
        var e = Assert.Throws<WorkerException>(() => WorkerPool.Start(Options(2, WorkerInitializer.Create("fail-init", "no data"))));
        Assert.Equal("System.InvalidOperationException", e.RemoteType);
        Assert.Equal("no data", e.RemoteMessage);
        WaitUntilGone([e.WorkerPid], TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Types_that_cannot_cross_are_refused_before_anything_is_sent()
    {
        using WorkerPool pool = WorkerPool.Start(Options(1));
        Assert.Throws<NotSupportedException>(() => { _ = pool.RunAsync<DateTime, long>("square", DateTime.Now, Ct); });
        Assert.Throws<NotSupportedException>(() => new WorkerFunctions().Add<List<int>, int>("f", l => l.Count));
    }

    [Fact]
    public async Task Dispose_stops_every_worker_and_leaks_no_descriptor()
    {
        using (WorkerPool warm = WorkerPool.Start(Options(1)))
        {
            // The first pool loads what stays loaded (sockets, the process machinery).
        }
        int descriptorsBefore = Directory.GetFiles("/proc/self/fd").Length;
        var pids = new List<int>();
        for (int i = 0; i < 3; i++)
        {
            using WorkerPool pool = WorkerPool.Start(Options(2));
            pids.AddRange(pool.WorkerPids);
            Assert.Equal(new long[] { 25 }, await pool.MapAsync<long, long>("square", [5], cancellationToken: Ct));
        }
        WaitUntilGone(pids, TimeSpan.FromSeconds(10));
        string[] after = Directory.GetFiles("/proc/self/fd");
        Assert.True(descriptorsBefore == after.Length,
            $"{descriptorsBefore} descriptors before, {after.Length} after: " + string.Join(", ", after.Select(fd => $"{Path.GetFileName(fd)}->{new FileInfo(fd).LinkTarget}")));
    }

    [Fact]
    public async Task Workers_exit_when_their_pools_process_is_killed()
    {
        using Process host = Processes.StartChild("pool-host", "3");
        string? line = await host.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), Ct);
        int[] workers = line!.Split(' ').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(3, workers.Length);
        Assert.All(workers, pid => Assert.True(IsRunning(pid)));
        Processes.Signal(host, 9);
        WaitUntilGone(workers, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Garbage_and_strangers_on_the_pool_socket_do_not_disturb_the_pool()
    {
        using WorkerPool pool = WorkerPool.Start(Options(2));
        // The pool's abstract socket is listed, as every abstract socket is, in /proc/net/unix.
        string prefix = $"@sharr-pool-{Environment.ProcessId}-";
        string[] addresses = File.ReadLines("/proc/net/unix").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
            .Where(a => a.StartsWith(prefix, StringComparison.Ordinal)).Distinct().ToArray();
        Assert.NotEmpty(addresses);
        foreach (string address in addresses)
        {
            foreach (byte[] junk in new[]
            {
                new byte[] { 6, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, // a hello whose string length is garbage
                new byte[] { 0, 0, 0, 0x10 },                                // a frame of 256 MB
                new byte[] { 3, 0, 0, 0, 1, 0, 0 },                          // a hello with an empty token
            })
            {
                using var stranger = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                stranger.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint("\0" + address[1..]));
                stranger.Send(junk);
            }
        }
        Assert.Equal(new long[] { 1, 4, 9 }, await pool.MapAsync<long, long>("square", [1, 2, 3], cancellationToken: Ct));
        Assert.Equal(0, pool.Replacements);
    }

    [Fact]
    public async Task When_no_replacement_can_start_items_fail_at_once_instead_of_waiting_forever()
    {
        string marker = Path.Combine(Path.GetTempPath(), Names.Unique("poolmarker"));
        using WorkerPool pool = WorkerPool.Start(Options(1, WorkerInitializer.Create("init-unless", marker)));
        File.WriteAllText(marker, "");
        try
        {
            int victim = pool.WorkerPids[0];
            using (Process process = Process.GetProcessById(victim))
            {
                process.Kill();
                process.WaitForExit();
            }
            // The dead worker's replacement refuses to initialise: the pool has nobody left.
            var clock = Stopwatch.StartNew();
            Exception e = await Assert.ThrowsAnyAsync<Exception>(() => pool.RunAsync<long, long>("square", 3, Ct));
            Assert.True(e is InvalidOperationException or WorkerCrashedException, e.ToString());
            var later = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            {
                while (true)
                {
                    await pool.RunAsync<long, long>("square", 3, Ct);
                }
            });
            Assert.Contains("No worker of the pool can run", later.Message, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public void An_initializer_that_never_returns_fails_start_within_the_start_timeout()
    {
        var clock = Stopwatch.StartNew();
        var options = Options(2, WorkerInitializer.Create("init-hang", 0)) with { StartTimeout = TimeSpan.FromSeconds(3) };
        var e = Assert.Throws<TimeoutException>(() => WorkerPool.Start(options));
        Assert.Contains("init-hang", e.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Ctrl_C_reaching_the_workers_does_not_kill_them_and_a_throwing_progress_does_not_break_the_pool()
    {
        using WorkerPool pool = WorkerPool.Start(Options(2));
        foreach (int pid in pool.WorkerPids)
        {
            using Process kill = Process.Start("kill", ["-INT", pid.ToString(CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync(Ct);
        }
        Thread.Sleep(200);
        var throwing = new SynchronousProgress<WorkerProgress>(_ => throw new InvalidOperationException("a broken progress bar"));
        Assert.Equal(new long[] { 1, 4, 9, 16 }, await pool.MapAsync<long, long>("square", [1, 2, 3, 4], throwing, Ct));
        Assert.Equal(0, pool.Replacements);
    }

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
