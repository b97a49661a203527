namespace SharedArrays.Tests.Infrastructure;

/// <summary>
/// A directory of its own on the /dev/shm tmpfs, for tests that scan or collect a whole directory
/// (gc, list) and must not see, or remove, what tests running in parallel keep in /dev/shm. Children
/// get it as <c>SHARR_DIR</c>. Removed with everything in it on Dispose.
/// </summary>
internal sealed class PrivateDirectory : IDisposable
{
    internal PrivateDirectory(string prefix)
    {
        Path = System.IO.Path.Combine("/dev/shm", Names.Unique(prefix));
        Directory.CreateDirectory(Path);
    }

    internal string Path { get; }

    /// <summary>The environment for a child that should create and open its segments here.</summary>
    internal Dictionary<string, string> Environment => new() { ["SHARR_DIR"] = Path };

    internal string PathOf(string name) => System.IO.Path.Combine(Path, name);

    internal string[] Entries() => Directory.GetFileSystemEntries(Path).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
