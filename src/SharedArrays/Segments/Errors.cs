using System.Runtime.InteropServices;

namespace SharedArrays.Segments;

/// <summary>Maps an errno to the public exception that says what happened and what to do.</summary>
internal static class Errors
{
    internal static SharedArrayException ForOpen(int errno, string name, string path, bool readOnly) => errno switch
    {
        Interop.Errno.ENOENT => new SegmentNotFoundException($"No segment named '{name}' ({path}).", name),
        Interop.Errno.ELOOP => new InvalidSegmentException($"'{path}' is a symbolic link; segment names are never followed.", name),
        Interop.Errno.EISDIR => new InvalidSegmentException($"'{path}' is a directory, not a segment.", name),
        Interop.Errno.ENXIO => new InvalidSegmentException($"'{path}' is a FIFO or device, not a segment.", name),
        Interop.Errno.EACCES or Interop.Errno.EPERM => AccessDenied(name, path, readOnly),
        Interop.Errno.ENAMETOOLONG => new InvalidSegmentException($"The name '{name}' is too long.", name),
        Interop.Errno.ENOTDIR => new SegmentNotFoundException($"No segment at '{path}' (a parent is not a directory).", name),
        _ => ForErrno(errno, "open", name),
    };

    /// <summary>
    /// Says why: another user's object (then read-only would not help either), or one of ours without
    /// write permission.
    /// </summary>
    private static SegmentAccessDeniedException AccessDenied(string name, string path, bool readOnly)
    {
        uint me = Interop.Libc.GetEUid();
        if (Interop.Libc.Statx(Interop.Libc.AT_FDCWD, path, Interop.Libc.AT_SYMLINK_NOFOLLOW, Interop.Libc.STATX_BASIC_STATS, out var st) == 0 && st.stx_uid != me)
        {
            return new SegmentAccessDeniedException(
                $"Permission denied opening '{path}': it belongs to uid {st.stx_uid} (mode {Convert.ToString(st.stx_mode & 0x1FF, 8)}) and this process runs as uid {me}; " +
                "only its owner can open it.", name);
        }
        return new SegmentAccessDeniedException(
            readOnly ? $"Permission denied opening '{path}'." : $"Permission denied opening '{path}' for writing; open it read-only if that is enough.", name);
    }

    internal static SharedArrayException ForCreate(int errno, string name, string directory) => errno switch
    {
        Interop.Errno.EEXIST => new SegmentExistsException($"A segment named '{name}' already exists in {directory}.", name),
        Interop.Errno.ENOENT or Interop.Errno.ENOTDIR => new SegmentNotFoundException($"The directory {directory} does not exist.", name),
        Interop.Errno.EACCES or Interop.Errno.EPERM or Interop.Errno.EROFS =>
            new SegmentAccessDeniedException($"Permission denied creating '{name}' in {directory}.", name),
        Interop.Errno.ENOSPC => InsufficientMemory(name, directory, -1, -1),
        _ => ForErrno(errno, "create", name),
    };

    internal static InsufficientSharedMemoryException InsufficientMemory(string name, string directory, long requested, long available)
    {
        string sizes = requested >= 0
            ? $"it needs {Bytes(requested)} ({requested:N0} bytes) and {directory} has {(available >= 0 ? $"{Bytes(available)} ({available:N0} bytes)" : "less")} free"
            : $"{directory} has no room for another file (no memory or no inodes left; nr_inodes= limits the inodes of a tmpfs)";
        return new InsufficientSharedMemoryException(
            $"Not enough shared memory for '{name}': {sizes}. Free space by removing segments (sharr list, sharr rm), " +
            $"give a container more (docker run --shm-size=...), enlarge the tmpfs (mount -o remount,size=... {directory}), " +
            $"or choose another directory (SHARR_DIR).",
            name, directory, requested, available);
    }

    /// <summary>A sparse file whose holes the file system cannot back: touching them through a mapping would be a SIGBUS.</summary>
    internal static InsufficientSharedMemoryException InsufficientMemoryForHoles(string name, string directory, long fileLength, long unbacked, long available, bool writable)
    {
        string free = available >= 0 ? $"{Bytes(available)} ({available:N0} bytes)" : "less";
        string touch = writable
            ? "Writing those pages through the mapping"
            : "Reading those pages through a mapping allocates them on this memory file system, so even reading them";
        return new InsufficientSharedMemoryException(
            $"Not enough shared memory for '{name}': the file has holes, {Bytes(unbacked)} ({unbacked:N0} bytes) of its {fileLength:N0} bytes " +
            $"have no memory behind them yet, and {directory} has {free} free. {touch} would kill the process with SIGBUS. " +
            $"Free space by removing segments (sharr list, sharr rm), give a container more (docker run --shm-size=...), " +
            $"enlarge the tmpfs (mount -o remount,size=... {directory}), or copy the file where there is room.",
            name, directory, unbacked, available);
    }

    internal static SharedArrayException ForErrno(int errno, string call, string name) =>
        new($"{call} failed for '{name}': {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", name);

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.##} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.##} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.##} KiB",
        _ => $"{bytes} B",
    };
}
