namespace SharedArrays;

/// <summary>
/// The shared-memory file system lacks room for the segment. Raised at creation, before anything is
/// left behind, and when opening a file with holes (a sparse .npy or segment) that the file system
/// could not back, instead of the SIGBUS a process would otherwise get when it first touches a page
/// that cannot be backed.
/// </summary>
public sealed class InsufficientSharedMemoryException : SharedArrayException
{
    /// <summary>Creates the exception.</summary>
    public InsufficientSharedMemoryException(string message, string? name, string directory, long requestedBytes, long availableBytes)
        : base(message, name)
    {
        Directory = directory;
        RequestedBytes = requestedBytes;
        AvailableBytes = availableBytes;
    }

    /// <summary>The directory (tmpfs mount) that lacked room.</summary>
    public string Directory { get; }

    /// <summary>
    /// The bytes the segment needs, header and control block included; for a file with holes, the bytes
    /// of its holes.
    /// </summary>
    public long RequestedBytes { get; }

    /// <summary>The bytes the file system reported free when asked, or -1 when unknown.</summary>
    public long AvailableBytes { get; }
}
