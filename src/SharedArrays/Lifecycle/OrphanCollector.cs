using System.Runtime.Versioning;
using SharedArrays.Format;
using SharedArrays.Segments;

namespace SharedArrays.Lifecycle;

/// <summary>
/// Finds and removes orphans: non-persistent segments whose creator is dead and that no process holds,
/// and temporary names of creations that died before publishing. The rules, in the order applied:
/// <list type="number">
/// <item>Only regular files of this user; plain .npy files and persistent segments are never touched.</item>
/// <item>The exclusive <c>flock</c> must be free: every mapper, creator and opener holds the shared one,
///   and the kernel releases it when a process dies, so a held lock means "in use" whatever else is true.</item>
/// <item>The creator must be dead, judged by PID <em>and</em> start time (a reused PID is another process).</item>
/// <item>A temporary name without a readable control block is judged by the creator its name records
///   (PID and start time); one of another form by age: an unlocked one older than the grace period was abandoned.</item>
/// </list>
/// The name is removed while the exclusive lock is held and only if it still refers to the locked object;
/// an opener that raced us re-checks the name after taking its shared lock and sees "not found".
/// </summary>
internal static class OrphanCollector
{
    internal static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(1);

    [SupportedOSPlatform("linux")]
    internal static List<OrphanSegment> Collect(SegmentDirectory directory, bool dryRun, TimeSpan gracePeriod)
    {
        var orphans = new List<OrphanSegment>();
        IEnumerable<string> entries;
        try
        {
            entries = System.IO.Directory.EnumerateFileSystemEntries(directory.Path);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new SegmentNotFoundException($"The segment directory {directory.Path} does not exist ({e.Message}).", null);
        }

        foreach (string entry in entries)
        {
            string name = System.IO.Path.GetFileName(entry);
            bool temporary = name.StartsWith(SegmentDirectory.TemporaryPrefix, StringComparison.Ordinal);
            if (!temporary && !SegmentDirectory.IsValidName(name))
            {
                continue;
            }
            using Segment.ExclusiveLock? locked = Segment.TryLockExclusive(directory, name);
            if (locked is null)
            {
                continue; // in use, gone, or not ours to judge
            }
            OrphanSegment? orphan = Judge(locked, directory, temporary, gracePeriod);
            if (orphan is null)
            {
                continue;
            }
            bool removed = !dryRun && locked.RemoveName();
            if (dryRun || removed)
            {
                orphans.Add(orphan with { Removed = removed });
            }
        }
        orphans.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return orphans;
    }

    [SupportedOSPlatform("linux")]
    private static OrphanSegment? Judge(Segment.ExclusiveLock locked, SegmentDirectory directory, bool temporary, TimeSpan gracePeriod)
    {
        SegmentLayout? layout = locked.TryReadLayout();
        if (layout is { HasControlBlock: true })
        {
            if (layout.Persistent || ProcessInfo.IsAlive(layout.CreatorPid, layout.CreatorStartTime))
            {
                return null;
            }
            bool initialised = locked.ReadState(layout) == ControlBlock.StateReady;
            return new OrphanSegment
            {
                Name = locked.Name,
                Path = directory.PathOf(locked.Name),
                Reason = temporary || !initialised ? OrphanReason.AbandonedCreation : OrphanReason.CreatorDied,
                CreatorPid = layout.CreatorPid,
                Bytes = locked.FileLength,
            };
        }
        if (!temporary)
        {
            return null; // a plain .npy, or a file that is not ours: never collected
        }
        int? creator = null;
        if (SegmentDirectory.TryParseTemporaryCreator(locked.Name, out int pid, out ulong startTime))
        {
            if (ProcessInfo.IsAlive(pid, startTime))
            {
                return null; // a live creator between creating the name and taking its lock, however slow
            }
            creator = pid;
        }
        else if (DateTimeOffset.UtcNow - locked.ChangedAt < gracePeriod)
        {
            return null; // a name of another form: judged by age
        }
        return new OrphanSegment
        {
            Name = locked.Name,
            Path = directory.PathOf(locked.Name),
            Reason = OrphanReason.AbandonedCreation,
            CreatorPid = creator,
            Bytes = locked.FileLength,
        };
    }
}
