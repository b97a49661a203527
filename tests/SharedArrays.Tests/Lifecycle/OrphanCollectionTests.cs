using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SharedArrays.Tests.CrossProcess;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Lifecycle;

/// <summary>
/// Orphan collection with real processes and real <c>kill -9</c>, each test in a directory of its own so
/// that collecting never touches what parallel tests keep in /dev/shm.
/// </summary>
[Collection(nameof(CrossProcessCollection))]
public class OrphanCollectionTests
{
    private static Process StartCreator(PrivateDirectory dir, string name)
    {
        Process child = Processes.StartChild(dir.Environment, "create", name, "wait");
        Processes.WaitForLine(child, "ready");
        return child;
    }

    private static Process StartHolder(PrivateDirectory dir, string name)
    {
        Process child = Processes.StartChild(dir.Environment, "hold", name);
        Processes.WaitForLine(child, "ready");
        return child;
    }

    private static JsonElement SharrJson(PrivateDirectory dir, params string[] args)
    {
        var result = Processes.RunSharr([.. args, "--dir", dir.Path, "--json"]);
        Assert.True(result.ExitCode == 0, result.StdErr);
        return JsonDocument.Parse(result.StdOut).RootElement;
    }

    private static string[] OrphanNames(JsonElement gc) =>
        gc.GetProperty("orphans").EnumerateArray().Select(o => o.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Gc_lists_exactly_the_orphans_of_a_kill_9_and_removes_them_while_a_live_attachers_segment_stays()
    {
        using var dir = new PrivateDirectory("gc");
        using Process orphanCreator = StartCreator(dir, "orphan");
        using Process heldCreator = StartCreator(dir, "held");
        using Process holder = StartHolder(dir, "held");
        using Process liveCreator = StartCreator(dir, "live");
        Assert.Equal(0, Processes.RunSharr("create", "kept", "--dtype", "int32", "--shape", "8", "--dir", dir.Path).ExitCode); // persistent
        using (var array = SharedArray<double>.Create("mine", [16], new SharedArrayCreateOptions { Directory = dir.Path }))
        {
            Processes.Signal(orphanCreator, 9);
            Processes.Signal(heldCreator, 9);

            JsonElement dry = SharrJson(dir, "gc", "--dry-run");
            Assert.Equal(["orphan"], OrphanNames(dry));
            JsonElement only = dry.GetProperty("orphans")[0];
            Assert.Equal(orphanCreator.Id, only.GetProperty("creator_pid").GetInt32());
            Assert.Equal("creator died", only.GetProperty("reason").GetString());
            Assert.False(only.GetProperty("removed").GetBoolean());
            Assert.Equal(["held", "kept", "live", "mine", "orphan"], dir.Entries());

            JsonElement gc = SharrJson(dir, "gc");
            Assert.Equal(["orphan"], OrphanNames(gc));
            Assert.True(gc.GetProperty("orphans")[0].GetProperty("removed").GetBoolean());
            Assert.Equal(["held", "kept", "live", "mine"], dir.Entries());

            // The attacher still reads and writes its segment; once it lets go, the segment is an orphan.
            holder.StandardInput.Close();
            Assert.True(holder.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.Equal(["held"], OrphanNames(SharrJson(dir, "gc")));
            Assert.Equal(["kept", "live", "mine"], dir.Entries());
            Assert.Empty(OrphanNames(SharrJson(dir, "gc")));
        }
        liveCreator.StandardInput.Close();
        Assert.True(liveCreator.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(["kept"], dir.Entries()); // the live creator and this process removed their own
    }

    [Fact]
    public void A_creator_killed_while_it_initialises_leaves_only_a_temporary_name_that_openers_never_see_and_gc_removes()
    {
        using var dir = new PrivateDirectory("gcmid");
        // 2 GiB filled before publishing: kill -9 lands while the segment lives under its temporary name.
        using Process creator = Processes.StartChild(dir.Environment, "create-big", "big", (256L << 20).ToString(CultureInfo.InvariantCulture));
        var deadline = Stopwatch.StartNew();
        while (dir.Entries().Length == 0 && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(1);
        }
        Thread.Sleep(200);
        Processes.Signal(creator, 9);
        string[] left = dir.Entries();
        Assert.True(left.Length == 1 && left[0].StartsWith(".sharr-tmp-", StringComparison.Ordinal), $"left: [{string.Join(", ", left)}]");

        // Openers of the name see "not found" at once: the half-made segment never had the name.
        var opening = Stopwatch.StartNew();
        Assert.Throws<SegmentNotFoundException>(() => SharedArray.Open("big", new SharedArrayOpenOptions { Directory = dir.Path }));
        Assert.True(opening.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Empty(SharedArray.List(dir.Path));

        var options = new OrphanCollectionOptions { Directory = dir.Path, TemporaryGracePeriod = TimeSpan.Zero };
        IReadOnlyList<OrphanSegment> found = SharedArray.CollectOrphans(options with { DryRun = true });
        OrphanSegment orphan = Assert.Single(found);
        Assert.Equal(OrphanReason.AbandonedCreation, orphan.Reason);
        Assert.Equal(left[0], orphan.Name);
        Assert.Single(dir.Entries());
        Assert.Single(SharedArray.CollectOrphans(options));
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void A_fresh_unlocked_temporary_name_is_left_to_its_creator_for_the_grace_period()
    {
        using var dir = new PrivateDirectory("gcgrace");
        // What a creator's new object looks like in the microseconds before it takes its lock.
        string temporary = dir.PathOf(".sharr-tmp-0123456789abcdef01234567");
        File.WriteAllBytes(temporary, []);
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Empty(SharedArray.CollectOrphans(new OrphanCollectionOptions { Directory = dir.Path, TemporaryGracePeriod = TimeSpan.FromMinutes(1) }));
        Assert.Single(dir.Entries());
        Assert.Single(SharedArray.CollectOrphans(new OrphanCollectionOptions { Directory = dir.Path, TemporaryGracePeriod = TimeSpan.Zero }));
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void A_temporary_name_is_judged_by_the_creator_it_records_not_by_age()
    {
        using var dir = new PrivateDirectory("gctmpname");
        ulong myStart = ulong.Parse(File.ReadAllText("/proc/self/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[19], System.Globalization.CultureInfo.InvariantCulture);
        string live = $".sharr-tmp-{Environment.ProcessId}-{myStart}-00112233445566778899aabb";
        string dead = $".sharr-tmp-{Environment.ProcessId}-{myStart + 1}-00112233445566778899aabb"; // this PID, another start: an earlier process
        foreach (string name in new[] { live, dead })
        {
            File.WriteAllBytes(dir.PathOf(name), []);
            File.SetUnixFileMode(dir.PathOf(name), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var options = new OrphanCollectionOptions { Directory = dir.Path, TemporaryGracePeriod = TimeSpan.Zero };
        OrphanSegment orphan = Assert.Single(SharedArray.CollectOrphans(options));
        Assert.Equal(dead, orphan.Name);
        Assert.Equal(Environment.ProcessId, orphan.CreatorPid);
        Assert.Equal([live], dir.Entries());
    }

    [Fact]
    public void A_creator_killed_but_never_reaped_a_zombie_counts_as_dead()
    {
        using var dir = new PrivateDirectory("gczombie");
        // The creator's parent is a shell that execs sleep: nobody ever waits for the creator, so after
        // kill -9 it stays a zombie, with its /proc entry and start time, until the sleep ends.
        string dotnet = Processes.DotnetHost;
        using Process parent = Processes.Start("/bin/sh",
            ["-c", $"sleep 60 | \"{dotnet}\" \"{Processes.TestChildDll}\" create victim wait & echo $!; exec sleep 60"], dir.Environment);
        try
        {
            int creator = int.Parse(parent.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);
            var clock = Stopwatch.StartNew();
            while (!File.Exists(dir.PathOf("victim")) && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(10);
            }
            Assert.True(File.Exists(dir.PathOf("victim")), "the creator did not create its segment");
            using (Process kill = Process.Start("kill", ["-9", creator.ToString(CultureInfo.InvariantCulture)])!)
            {
                kill.WaitForExit();
            }
            clock.Restart();
            while (!File.ReadAllText($"/proc/{creator}/stat").Split(')')[^1].TrimStart().StartsWith('Z') && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(10);
            }
            Assert.StartsWith("Z", File.ReadAllText($"/proc/{creator}/stat").Split(')')[^1].TrimStart(), StringComparison.Ordinal);

            Assert.False(SharedArray.Inspect("victim", dir.Path).CreatorAlive);
            // The leader of a multi-threaded process turns Z before its last thread has gone and closed
            // the descriptors (and so the flock): give the kernel a moment to finish the kill.
            IReadOnlyList<OrphanSegment> found = [];
            clock.Restart();
            while (found.Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                found = SharedArray.CollectOrphans(new OrphanCollectionOptions { Directory = dir.Path });
                Thread.Sleep(found.Count == 0 ? 20 : 0);
            }
            OrphanSegment orphan = Assert.Single(found);
            Assert.Equal(creator, orphan.CreatorPid);
            Assert.Empty(dir.Entries());
        }
        finally
        {
            parent.Kill(entireProcessTree: true);
            parent.WaitForExit();
        }
    }

    [Fact]
    public void Gc_never_touches_npy_files_persistent_segments_other_files_or_held_segments()
    {
        using var dir = new PrivateDirectory("gckeep");
        using (var persistent = SharedArray<int>.Create("persistent", [4], new SharedArrayCreateOptions { Directory = dir.Path, Persistent = true }))
        {
        }
        using (var scratch = SharedArray<double>.From(Names.Unique("gcnpy"), [1.0, 2.0, 3.0]))
        {
            NpyFile.Save(scratch, dir.PathOf("plain.npy"));
        }
        File.WriteAllText(dir.PathOf("notes.txt"), "not a segment");
        using var held = SharedArray<int>.Create("held", [4], new SharedArrayCreateOptions { Directory = dir.Path });
        Assert.Empty(SharedArray.CollectOrphans(new OrphanCollectionOptions { Directory = dir.Path, TemporaryGracePeriod = TimeSpan.Zero }));
        Assert.Equal(["held", "notes.txt", "persistent", "plain.npy"], dir.Entries());
    }
}
