namespace SharedArrays.Benchmarks.Infrastructure;

/// <summary>
/// Every benchmark must leave the shared-memory directories as it found them. This takes a snapshot
/// before, and afterwards looks at every name that appeared: ours (a name with <see cref="Prefix"/>, or a
/// SharedArrays segment whose creator is a process this benchmark started) must be gone, or the
/// benchmark fails loudly after removing them; names other processes on the machine created meanwhile
/// (other engineers' tests share this machine) are reported and left alone.
/// </summary>
internal sealed class ShmGuard
{
    /// <summary>The prefix of every segment the benchmark itself or its Python scripts create.</summary>
    internal const string Prefix = "sharrbench-";

    private readonly Dictionary<string, HashSet<string>> _before;

    private ShmGuard(Dictionary<string, HashSet<string>> before) => _before = before;

    /// <summary>The directories checked: /dev/shm, and --dir when it is another.</summary>
    internal string Directories => string.Join(" and ", _before.Keys);

    /// <summary>Snapshots /dev/shm (Python's directory) and our side's directory if it is another.</summary>
    internal static ShmGuard Snapshot(string? ourDirectory)
    {
        var directories = new HashSet<string>(StringComparer.Ordinal) { "/dev/shm", SharedArray.ResolveDirectory(ourDirectory) };
        return new ShmGuard(directories.ToDictionary(d => d, d => Entries(d), StringComparer.Ordinal));
    }

    /// <summary>Removes every leftover of ours (used on Ctrl+C, when no check can follow).</summary>
    internal static void RemoveOurs(string? ourDirectory)
    {
        foreach (string directory in new[] { "/dev/shm", SharedArray.ResolveDirectory(ourDirectory) }.Distinct())
        {
            foreach (string name in Entries(directory).Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
            {
                TryDelete(directory, name);
            }
        }
    }

    /// <summary>
    /// Compares with the snapshot: notes foreign names on <paramref name="log"/>, removes ours and throws
    /// if any of ours was left.
    /// </summary>
    internal void Check(string benchmark, Action<string> log)
    {
        var leaked = new List<string>();
        foreach (var (directory, before) in _before)
        {
            var appeared = Entries(directory).Where(n => !before.Contains(n)).Order(StringComparer.Ordinal).ToList();
            var foreign = new List<string>();
            foreach (string name in appeared)
            {
                if (IsOurs(directory, name))
                {
                    leaked.Add(Path.Combine(directory, name));
                    TryDelete(directory, name);
                }
                else
                {
                    foreign.Add(name);
                }
            }
            if (foreign.Count > 0)
            {
                log($"note: {foreign.Count} name(s) appeared in {directory} during {benchmark} that it did not create " +
                    $"(other processes on this machine); left alone: {string.Join(", ", foreign.Take(5))}{(foreign.Count > 5 ? ", ..." : "")}");
            }
        }
        if (leaked.Count > 0)
        {
            throw new BenchException($"{benchmark} LEFT SHARED MEMORY BEHIND (removed now; a child killed for overrunning --timeout leaves its segment, anything else is a bug): {string.Join(", ", leaked)}");
        }
    }

    private static bool IsOurs(string directory, string name)
    {
        if (name.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return true;
        }
        try
        {
            return SharedArray.Inspect(Path.Combine(directory, name)).CreatorPid is int pid && Children.IsOurs(pid);
        }
        catch (Exception e) when (e is SharedArrayException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false; // not a segment we could read: not one of ours
        }
    }

    private static void TryDelete(string directory, string name)
    {
        try
        {
            File.Delete(Path.Combine(directory, name));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Reported by the caller; nothing more to do.
        }
    }

    private static HashSet<string> Entries(string directory)
    {
        try
        {
            return System.IO.Directory.EnumerateFileSystemEntries(directory).Select(p => Path.GetFileName(p)).ToHashSet(StringComparer.Ordinal);
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }
}
