using System.Globalization;
using System.IO.Enumeration;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

namespace SharedArrays.Lifecycle;

/// <summary>
/// Finds the processes that map given files, and what those mappings cost them, from <c>/proc</c>.
/// Every process's <c>maps</c> is read (cheap: the kernel only lists the VMAs); only a process that
/// maps one of the files has its <c>smaps</c> read, whose resident and proportional sizes make the
/// kernel walk the page tables of every mapping the process has.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class ProcMappings
{
    /// <summary>What one process maps of one file: the sums over all its VMAs of that file.</summary>
    internal readonly record struct Usage(
        int Pid, FileIdentity Identity, string CommandLine, long MappedBytes, long ResidentBytes, long ProportionalBytes, bool Writable);

    private struct Totals
    {
        internal long Mapped;
        internal long Resident;
        internal long Proportional;
        internal bool Writable;
    }

    /// <summary>
    /// Every process this caller may inspect that maps one of <paramref name="files"/> now. A process
    /// that exits while it is read, or that belongs to another user while the caller is not root
    /// (<c>/proc/PID/maps</c> is then EACCES), is left out.
    /// </summary>
    internal static List<Usage> Scan(IReadOnlySet<FileIdentity> files)
    {
        var result = new List<Usage>();
        if (files.Count == 0)
        {
            return result;
        }
        using var reader = new ProcFileReader();
        var totals = new Dictionary<FileIdentity, Totals>();
        foreach (int pid in Pids())
        {
            string directory = "/proc/" + pid.ToString(CultureInfo.InvariantCulture);
            try
            {
                if (!MapsAny(reader, directory + "/maps", files))
                {
                    continue;
                }
                totals.Clear();
                SumSmaps(reader, directory + "/smaps", files, totals);
                if (totals.Count == 0)
                {
                    continue; // unmapped between the two reads
                }
                string commandLine = ReadCommandLine(directory);
                foreach (var (identity, t) in totals)
                {
                    result.Add(new Usage(pid, identity, commandLine, t.Mapped, t.Resident, t.Proportional, t.Writable));
                }
            }
            catch (IOException)
            {
                // Exited while we read it (ENOENT, ESRCH): it no longer maps anything.
            }
            catch (UnauthorizedAccessException)
            {
                // Another user's process and we lack CAP_SYS_PTRACE: the kernel will not tell us.
            }
        }
        return result;
    }

    /// <summary>The numeric entries of <c>/proc</c>: thread-group leaders, so each process once.</summary>
    private static List<int> Pids()
    {
        var entries = new FileSystemEnumerable<int>(
            "/proc",
            static (ref FileSystemEntry entry) => int.Parse(entry.FileName, NumberStyles.None, CultureInfo.InvariantCulture),
            new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true })
        {
            ShouldIncludePredicate = static (ref FileSystemEntry entry) =>
                entry.IsDirectory && int.TryParse(entry.FileName, NumberStyles.None, CultureInfo.InvariantCulture, out _),
        };
        return [.. entries];
    }

    private static bool MapsAny(ProcFileReader reader, string path, IReadOnlySet<FileIdentity> files)
    {
        reader.Open(path);
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            if (VmaHeader.TryParse(line, out VmaHeader vma) && vma.Identity.Inode != 0 && files.Contains(vma.Identity))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Adds up, per file, the VMAs of <paramref name="files"/> in an smaps: their lengths, and their
    /// <c>Rss:</c> and <c>Pss:</c> lines. The VMAs are matched again here rather than remembered from
    /// maps, which may have changed in between.
    /// </summary>
    private static void SumSmaps(ProcFileReader reader, string path, IReadOnlySet<FileIdentity> files, Dictionary<FileIdentity, Totals> totals)
    {
        reader.Open(path);
        bool inFile = false;
        FileIdentity current = default;
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            if (VmaHeader.TryParse(line, out VmaHeader vma))
            {
                inFile = vma.Identity.Inode != 0 && files.Contains(vma.Identity);
                if (inFile)
                {
                    current = vma.Identity;
                    ref Totals t = ref CollectionsMarshal.GetValueRefOrAddDefault(totals, current, out _);
                    t.Mapped += vma.Length;
                    t.Writable |= vma.Writable;
                }
            }
            else if (inFile)
            {
                if (VmaHeader.TryParseKilobytes(line, "Rss:"u8, out long rss))
                {
                    CollectionsMarshal.GetValueRefOrNullRef(totals, current).Resident += rss;
                }
                else if (VmaHeader.TryParseKilobytes(line, "Pss:"u8, out long pss))
                {
                    CollectionsMarshal.GetValueRefOrNullRef(totals, current).Proportional += pss;
                }
            }
        }
    }

    /// <summary>
    /// The arguments, NUL-separated in <c>/proc/PID/cmdline</c>, joined by spaces; for a process
    /// without any (a kernel thread, or one that cleared them) its name in brackets, as ps shows it.
    /// </summary>
    private static string ReadCommandLine(string directory)
    {
        byte[] bytes = File.ReadAllBytes(directory + "/cmdline");
        int length = bytes.Length;
        while (length > 0 && bytes[length - 1] == 0)
        {
            length--;
        }
        if (length == 0)
        {
            return "[" + File.ReadAllText(directory + "/comm").TrimEnd('\n') + "]";
        }
        bytes.AsSpan(0, length).Replace((byte)0, (byte)' ');
        return Encoding.UTF8.GetString(bytes, 0, length);
    }
}
