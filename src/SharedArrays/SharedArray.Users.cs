using System.Runtime.Versioning;
using SharedArrays.Lifecycle;

namespace SharedArrays;

public partial class SharedArray
{
    /// <summary>
    /// The processes that have this segment mapped now (this one included), with the address space,
    /// resident bytes (RSS) and proportional bytes (PSS) of their mappings, read from <c>/proc</c>.
    /// </summary>
    /// <remarks>See <see cref="GetUsers(string, string?)"/> for what is and is not seen.</remarks>
    public IReadOnlyList<SegmentUser> GetUsers()
    {
        ThrowIfDisposed();
        if (!OperatingSystem.IsLinux())
        {
            throw ThrowHelper.NotLinux();
        }
        return FindUsers([(Segment.Identity, Name)]);
    }

    /// <summary>
    /// The processes that have a segment (or a .npy file, given a path containing '/') mapped now,
    /// with the address space, resident bytes (RSS) and proportional bytes (PSS) of their mappings,
    /// read from <c>/proc</c>; ordered by PID. Empty when nobody maps it.
    /// </summary>
    /// <remarks>
    /// A mapping counts when it is of the very object the name refers to now (same device and inode),
    /// so a process still mapping an earlier segment of the same name, removed since, is not listed.
    /// Processes of other users are seen only by root (or with <c>CAP_SYS_PTRACE</c>); processes that
    /// exit during the look are left out; the sizes are a snapshot.
    /// </remarks>
    /// <exception cref="SegmentNotFoundException">No such segment or file.</exception>
    /// <exception cref="InvalidSegmentException">Not a regular file, a symbolic link, or not a segment or .npy.</exception>
    public static IReadOnlyList<SegmentUser> GetUsers(string nameOrPath, string? directory = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw ThrowHelper.NotLinux();
        }
        (FileIdentity Identity, string Name) target = IdentifyForUsers(nameOrPath, directory);
        return FindUsers([target]);
    }

    /// <summary>
    /// The users (see <see cref="GetUsers(string, string?)"/>) of every segment of ours and every
    /// .npy in the directory (default <c>SHARR_DIR</c> or <c>/dev/shm</c>), from one pass over
    /// <c>/proc</c>; ordered by segment name, then PID. Segments nobody maps do not appear (see
    /// <see cref="List"/> for those).
    /// </summary>
    public static IReadOnlyList<SegmentUser> GetAllUsers(string? directory = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw ThrowHelper.NotLinux();
        }
        string path = SegmentDirectory.Resolve(directory).Path;
        var targets = new List<(FileIdentity, string)>();
        foreach (string entry in System.IO.Directory.EnumerateFileSystemEntries(path))
        {
            string name = System.IO.Path.GetFileName(entry);
            if (!SegmentDirectory.IsValidName(name))
            {
                continue;
            }
            try
            {
                targets.Add(IdentifyForUsers(name, path));
            }
            catch (SharedArrayException)
            {
                // Not ours, not a .npy, gone in the meantime, or not readable: not listed (as in List).
            }
        }
        return FindUsers(targets);
    }

    /// <summary>
    /// Which object a name refers to, checked as <see cref="Inspect"/> checks it (no symbolic links,
    /// a segment or .npy). Our own mapping is gone again before <c>/proc</c> is read, so that looking
    /// does not make this process a user.
    /// </summary>
    private static (FileIdentity Identity, string Name) IdentifyForUsers(string nameOrPath, string? directory)
    {
        Segment segment = OpenSegment(nameOrPath, new SharedArrayOpenOptions { ReadOnly = true, Directory = directory, AllowGroupOrOtherAccess = true }, inspecting: true);
        try
        {
            return (segment.Identity, segment.Name);
        }
        finally
        {
            segment.Release();
        }
    }

    [SupportedOSPlatform("linux")]
    private static List<SegmentUser> FindUsers(IReadOnlyCollection<(FileIdentity Identity, string Name)> targets)
    {
        // Hard links give one object several names: report its users under each.
        var names = new Dictionary<FileIdentity, List<string>>();
        foreach (var (identity, name) in targets)
        {
            if (!names.TryGetValue(identity, out List<string>? list))
            {
                names[identity] = list = [];
            }
            list.Add(name);
        }
        var users = new List<SegmentUser>();
        foreach (ProcMappings.Usage usage in ProcMappings.Scan(names.Keys.ToHashSet()))
        {
            foreach (string name in names[usage.Identity])
            {
                users.Add(new SegmentUser
                {
                    Name = name,
                    Pid = usage.Pid,
                    CommandLine = usage.CommandLine,
                    MappedBytes = usage.MappedBytes,
                    ResidentBytes = usage.ResidentBytes,
                    ProportionalBytes = usage.ProportionalBytes,
                    Writable = usage.Writable,
                });
            }
        }
        users.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name) is var byName and not 0 ? byName : a.Pid.CompareTo(b.Pid));
        return users;
    }
}
