using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using SharedArrays.Tests.CrossProcess;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Torture;

using Torture = SharedArrays.Tests.Infrastructure.Torture;

/// <summary>
/// Crash torture with real processes and real SIGKILL: creators and attachers killed at random moments
/// while the collector runs, creators racing for one name, and a creator's PID reused by an impostor.
/// Sized for CI; <c>SHARR_TORTURE_SCALE</c> scales them up. Each prints its counts.
/// </summary>
[Collection(nameof(CrossProcessCollection))]
[Trait("Category", Torture.Category)]
public class CrashTortureTests
{
    /// <summary>A torture child whose stdout lines are collected as they come.</summary>
    private sealed class Worker
    {
        internal Worker(string role, Process process, ConcurrentQueue<(string Role, int Pid, string Line)> lines)
        {
            Role = role;
            Process = process;
            Pid = process.Id;
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    lines.Enqueue((role, Pid, line));
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    lines.Enqueue((role, Pid, "STDERR " + line));
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        internal string Role { get; }
        internal Process Process { get; }
        internal int Pid { get; }
    }

    [Fact]
    public void Random_kill_9_of_creators_and_attachers_while_gc_runs_leaves_no_orphan_and_no_false_removal()
    {
        using var dir = new PrivateDirectory("tkill");
        int targetCycles = Torture.Scaled(1000);
        int targetKills = Torture.Scaled(500);
        int seed = Environment.TickCount;
        var random = new Random(seed);
        var lines = new ConcurrentQueue<(string Role, int Pid, string Line)>();
        var killed = new HashSet<int>();
        var collected = new ConcurrentDictionary<string, OrphanSegment>();
        int gcRuns = 0;

        // Names are PREFIX-PID-I: the prefix is new for every creator started, because over thousands of
        // kills PIDs come round again, and a reused PID must not recreate an earlier creator's names.
        int creators = 0;
        Worker Spawn(string role) => new(role, role == "creator"
            ? Processes.StartChild(dir.Environment, "torture-create", $"s{creators++}", random.Next().ToString(CultureInfo.InvariantCulture))
            : Processes.StartChild(dir.Environment, "torture-attach", random.Next().ToString(CultureInfo.InvariantCulture)), lines);

        var workers = new List<Worker> { Spawn("creator"), Spawn("creator"), Spawn("attacher"), Spawn("attacher") };
        using var stop = new CancellationTokenSource();
        var collectorErrors = new ConcurrentQueue<string>();
        var collector = new Thread(() =>
        {
            var options = new OrphanCollectionOptions { Directory = dir.Path };
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    foreach (OrphanSegment orphan in SharedArray.CollectOrphans(options))
                    {
                        if (!collected.TryAdd(orphan.Name, orphan))
                        {
                            collectorErrors.Enqueue($"{orphan.Name} collected twice");
                        }
                    }
                }
                catch (Exception e)
                {
                    collectorErrors.Enqueue(e.ToString());
                }
                Interlocked.Increment(ref gcRuns);
                Thread.Sleep(5);
            }
        }) { IsBackground = true, Name = "gc loop" };
        collector.Start();

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var vanished = new List<string>();
        var problems = new List<string>();
        void Drain()
        {
            while (lines.TryDequeue(out var item))
            {
                string[] parts = item.Line.Split(' ', 2);
                counts[parts[0]] = counts.GetValueOrDefault(parts[0]) + 1;
                switch (parts[0])
                {
                    case "VANISHED":
                        vanished.Add(parts[1]);
                        break;
                    case "LOST" or "TORN" or "STDERR":
                        problems.Add($"{item.Role} {item.Pid}: {item.Line}");
                        break;
                }
            }
        }
        int Cycles() => counts.GetValueOrDefault("C") + counts.GetValueOrDefault("H");

        var clock = Stopwatch.StartNew();
        TimeSpan limit = TimeSpan.FromMinutes(5) * Torture.Scale;
        try
        {
            while ((Cycles() < targetCycles || killed.Count < targetKills) && clock.Elapsed < limit)
            {
                Thread.Sleep(random.Next(0, 40));
                Drain();
                int victim = random.Next(workers.Count);
                Worker worker = workers[victim];
                if (worker.Process.HasExited)
                {
                    problems.Add($"{worker.Role} {worker.Pid} exited by itself with {worker.Process.ExitCode} (SIGBUS is 135)");
                }
                else
                {
                    worker.Process.Kill(); // SIGKILL
                    killed.Add(worker.Pid);
                }
                Assert.True(worker.Process.WaitForExit(TimeSpan.FromSeconds(30)));
                worker.Process.Dispose();
                workers[victim] = Spawn(worker.Role);
                Assert.Empty(problems);
            }
        }
        finally
        {
            foreach (Worker worker in workers)
            {
                if (!worker.Process.HasExited)
                {
                    worker.Process.Kill();
                    killed.Add(worker.Pid);
                }
                worker.Process.WaitForExit(TimeSpan.FromSeconds(30));
                worker.Process.Dispose();
            }
            stop.Cancel();
            collector.Join(TimeSpan.FromMinutes(1));
        }
        Thread.Sleep(100); // the last output events
        Drain();

        // Everyone is dead now: one last collection must leave nothing, and may take fresh temporary names too.
        int leftBefore = dir.Entries().Length;
        IReadOnlyList<OrphanSegment> last = SharedArray.CollectOrphans(new OrphanCollectionOptions { Directory = dir.Path, TemporaryGracePeriod = TimeSpan.Zero });
        foreach (OrphanSegment orphan in last)
        {
            Assert.True(collected.TryAdd(orphan.Name, orphan), $"{orphan.Name} collected twice");
        }
        string[] remaining = dir.Entries();

        // A false removal: the collector took a name an attacher held (it saw the name vanish while holding it),
        // or a name whose creator was alive (never killed).
        string[] heldAndCollected = vanished.Where(collected.ContainsKey).ToArray();
        OrphanSegment[] liveCreator = collected.Values.Where(o => o.CreatorPid is { } pid && !killed.Contains(pid)).ToArray();

        Torture.Report(string.Create(CultureInfo.InvariantCulture,
            $"kill -9 torture (seed {seed}): {Cycles()} cycles ({counts.GetValueOrDefault("C")} creates, {counts.GetValueOrDefault("H")} attach+verify+write), " +
            $"{killed.Count} kills, {gcRuns} concurrent gc runs, {collected.Count} orphans collected " +
            $"({collected.Values.Count(o => o.Reason == OrphanReason.AbandonedCreation)} abandoned creations; {last.Count} by the final gc of {leftBefore} entries left), " +
            $"{counts.GetValueOrDefault("NF")} opens raced by their creator's dispose, {vanished.Count} names removed by their creator while attached, " +
            $"false removals = {heldAndCollected.Length + liveCreator.Length + counts.GetValueOrDefault("LOST")}, torn reads = {counts.GetValueOrDefault("TORN")}, " +
            $"orphans left = {remaining.Length}, {clock.Elapsed.TotalSeconds:0.0} s"));

        Assert.Empty(problems);
        Assert.Empty(collectorErrors);
        Assert.Empty(heldAndCollected);
        Assert.Empty(liveCreator);
        Assert.Empty(remaining);
        Assert.True(Cycles() >= targetCycles, $"only {Cycles()} cycles in {limit}");
        Assert.True(killed.Count >= targetKills);
        Assert.NotEmpty(collected); // with hundreds of kills, some creators died holding a segment
    }

    [Fact]
    public void Thirty_two_processes_racing_to_create_one_name_per_round_give_one_creator_and_no_partial_segment()
    {
        using var dir = new PrivateDirectory("trace");
        const int procs = 32;
        int rounds = Torture.Scaled(200);
        using var barrier = SharedArray<long>.Create("barrier", [rounds + 1], new SharedArrayCreateOptions { Directory = dir.Path });
        var clock = Stopwatch.StartNew();
        var children = Enumerable.Range(0, procs)
            .Select(i => Processes.StartChild(dir.Environment, "torture-race", "barrier", "race", rounds.ToString(CultureInfo.InvariantCulture),
                procs.ToString(CultureInfo.InvariantCulture), i.ToString(CultureInfo.InvariantCulture)))
            .ToList();
        var results = children.Select(c => Processes.Run(c, TimeSpan.FromMinutes(10) * Torture.Scale)).ToList();
        children.ForEach(c => c.Dispose());

        var winners = new int[rounds];
        int partial = 0;
        long won = 0, existed = 0, opened = 0, notFound = 0;
        foreach (var result in results)
        {
            Assert.True(result.ExitCode == 0, result.StdErr);
            foreach (string line in result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] f = line.Split(' ');
                switch (f[0])
                {
                    case "W":
                        winners[int.Parse(f[1], CultureInfo.InvariantCulture)]++;
                        break;
                    case "P":
                        partial++;
                        break;
                    case "done":
                        won += long.Parse(f[1], CultureInfo.InvariantCulture);
                        existed += long.Parse(f[2], CultureInfo.InvariantCulture);
                        opened += long.Parse(f[3], CultureInfo.InvariantCulture);
                        notFound += long.Parse(f[4], CultureInfo.InvariantCulture);
                        break;
                }
            }
        }
        Torture.Report(string.Create(CultureInfo.InvariantCulture,
            $"create race: {procs} processes x {rounds} rounds: {won} creates won, {existed} 'already exists', {opened} opens of complete segments, " +
            $"{notFound} early opens 'not found', rounds with != 1 creator = {winners.Count(w => w != 1)}, partial segments seen = {partial}, {clock.Elapsed.TotalSeconds:0.0} s"));
        Assert.All(winners, w => Assert.Equal(1, w));
        Assert.Equal(0, partial);
        Assert.Equal(rounds, won);
        Assert.Equal((long)rounds * (procs - 1), existed);
        Assert.Equal(["barrier"], dir.Entries());
    }

    [Fact]
    public void A_reused_pid_does_not_make_a_dead_creator_alive()
    {
        using var dir = new PrivateDirectory("tpid");
        using Process creator = Processes.StartChild(dir.Environment, "create", "victim", "wait");
        Processes.WaitForLine(creator, "ready");
        int pid = creator.Id;
        creator.Kill();
        Assert.True(creator.WaitForExit(TimeSpan.FromSeconds(30)));

        using Process? impostor = StartWithPid(pid, out string how);
        if (impostor is null)
        {
            Assert.Skip($"could not make the kernel reuse PID {pid}: {how}");
        }
        try
        {
            Assert.Equal(pid, impostor.Id);
            Assert.False(impostor.HasExited);
            SegmentInfo info = SharedArray.Inspect("victim", dir.Path);
            Assert.Equal(pid, info.CreatorPid);
            Assert.False(info.CreatorAlive, "a process with the creator's PID is running, but it started later: it is not the creator");

            OrphanSegment orphan = Assert.Single(SharedArray.CollectOrphans(new OrphanCollectionOptions { Directory = dir.Path, DryRun = true }));
            Assert.Equal(pid, orphan.CreatorPid);
            Assert.Single(SharedArray.CollectOrphans(new OrphanCollectionOptions { Directory = dir.Path }));
            Assert.Empty(dir.Entries());
            Assert.False(impostor.HasExited, "the impostor is not touched");
            Torture.Report($"PID reuse: creator PID {pid} reused by an impostor ({how}); gc still collected the orphan, false 'alive' = 0");
        }
        finally
        {
            impostor.Kill();
            impostor.WaitForExit();
        }
    }

    /// <summary>
    /// Starts <c>sleep</c> so that it gets <paramref name="pid"/>, by setting the PID namespace's last PID
    /// (the way CRIU restores processes) and forking: the kernel's own PID reuse, made immediate.
    /// </summary>
    private static Process? StartWithPid(int pid, out string how)
    {
        const string lastPid = "/proc/sys/kernel/ns_last_pid";
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                File.WriteAllText(lastPid, (pid - 1).ToString(CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                break;
            }
            Process candidate = Processes.Start("/bin/sleep", ["300"]);
            if (candidate.Id == pid)
            {
                how = $"{lastPid} set to {pid - 1}, attempt {attempt + 1}";
                return candidate;
            }
            candidate.Kill();
            candidate.WaitForExit();
            candidate.Dispose();
        }

        how = $"this needs {lastPid} to be writable (root); churning through /proc/sys/kernel/pid_max PIDs instead would take minutes";
        return null;
    }
}
