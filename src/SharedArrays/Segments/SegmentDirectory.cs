using System.Runtime.CompilerServices;
using System.Diagnostics.CodeAnalysis;

namespace SharedArrays.Segments;

/// <summary>
/// Where segments live: <c>/dev/shm</c> (POSIX shared memory) unless an option or the
/// <c>SHARR_DIR</c> environment variable names another directory, e.g. a tmpfs mounted with
/// <c>huge=always</c> or a hugetlbfs.
/// </summary>
internal sealed class SegmentDirectory
{
    internal const string DefaultPath = "/dev/shm";
    internal const string EnvironmentVariable = "SHARR_DIR";

    /// <summary>Names of segments being initialised start with this and are never opened by name.</summary>
    internal const string TemporaryPrefix = ".sharr-tmp-";

    /// <summary>
    /// A name to build a segment under: <c>.sharr-tmp-PID-STARTTIME-RANDOM</c>. The creator is in the name
    /// from the first instant, so a collector can tell a live creator's name from an abandoned one before
    /// any control block exists, however long the creator is descheduled.
    /// </summary>
    internal static string TemporaryName() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{TemporaryPrefix}{Environment.ProcessId}-{Lifecycle.ProcessInfo.CurrentStartTime}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12))}");

    /// <summary>The creator a temporary name records; false for a name of another form.</summary>
    internal static bool TryParseTemporaryCreator(string name, out int pid, out ulong startTime)
    {
        pid = 0;
        startTime = 0;
        if (!name.StartsWith(TemporaryPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        string[] parts = name[TemporaryPrefix.Length..].Split('-');
        return parts.Length == 3 &&
            int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pid) &&
            ulong.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out startTime);
    }

    private SegmentDirectory(string path)
    {
        Path = path;
        IsPosixShm = path == DefaultPath;
    }

    internal string Path { get; }

    /// <summary>True for <c>/dev/shm</c>, where names go through <c>shm_open</c>/<c>shm_unlink</c>.</summary>
    internal bool IsPosixShm { get; }

    internal static SegmentDirectory Resolve(string? directory)
    {
        string? path = string.IsNullOrEmpty(directory) ? Environment.GetEnvironmentVariable(EnvironmentVariable) : directory;
        if (string.IsNullOrEmpty(path))
        {
            return new SegmentDirectory(DefaultPath);
        }
        path = System.IO.Path.GetFullPath(path);
        return new SegmentDirectory(path.Length > 1 ? path.TrimEnd('/') : path);
    }

    internal string PathOf(string name) => Path + "/" + name;

    /// <summary>
    /// A name is one path component of portable characters: letters, digits, '.', '_' and '-', at most
    /// 255 bytes, not starting with '.' (reserved for temporary names and hidden files).
    /// </summary>
    internal static bool IsValidName([NotNullWhen(true)] string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 255 || name[0] == '.')
        {
            return false;
        }
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    internal static void ValidateName(string name, [CallerArgumentExpression(nameof(name))] string? paramName = null)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        if (!IsValidName(name))
        {
            ThrowHelper.ThrowInvalidName(name, paramName);
        }
    }
}
