using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using SharedArrays.Format;
using SharedArrays.Lifecycle;
using static Interop.Libc;

namespace SharedArrays.Segments;

internal sealed unsafe partial class Segment
{
    private const uint OwnerOnlyMode = 0x180; // 0600
    private const uint GroupOtherBits = 0x3F; // 0077

    /// <summary>Runs on the mapped data of a new segment before it is published under its name.</summary>
    internal delegate void Initializer(Segment segment);

    /// <summary>
    /// Creates, reserves, initialises and then atomically publishes a segment: it is built under a
    /// temporary name and <c>link</c>ed into place, which fails if the name exists. No other process
    /// can ever open a half-initialised segment, and exactly one of several racing creators wins.
    /// </summary>
    [SupportedOSPlatform("linux")]
    internal static Segment Create(SegmentDirectory directory, string name, DType dtype, long[] shape, bool persistent, Initializer? initialize)
    {
        long dataBytes = checked(SegmentLayout.ElementCount(shape) * dtype.ItemSize());
        long fileLength = SegmentLayout.FileLengthFor(dataBytes);
        string path = directory.PathOf(name);
        string tempName = SegmentDirectory.TemporaryName();
        string tempPath = directory.PathOf(tempName);

        // From before the temporary name exists until the segment is registered as owned, an exit
        // hook removes the temporary name (and the real one, once linked): reserving and filling
        // gigabytes takes long enough for a Ctrl+C to land in the middle.
        PendingSegment pending = OwnedSegments.AddPending(directory, tempName, name, ownsName: !persistent);
        int flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
        int rawFd = directory.IsPosixShm ? ShmOpen("/" + tempName, flags, OwnerOnlyMode) : Open(tempPath, flags, OwnerOnlyMode);
        if (rawFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            pending.Dispose();
            throw Errors.ForCreate(errno, name, directory.Path);
        }

        var fd = new SafeFdHandle(rawFd);
        SafeMappedViewHandle? view = null;
        try
        {
            FileIdentity identity = IdentityOf(fd, name);
            pending.Identity = identity;

            // The shared lock comes first, so that an orphan collector never takes a segment under
            // construction for one nobody holds.
            Check(FLock(fd, LOCK_SH), "flock", name);

            // The umask may have removed bits from 0600 (say, owner write); set exactly 0600.
            Check(FChmod(fd, OwnerOnlyMode), "fchmod", name);
            Reserve(fd, directory, name, fileLength);
            view = Map(fd, fileLength, writable: true, name);
            byte* file = (byte*)view.DangerousGetHandle();

            Guid generation = new(RandomNumberGenerator.GetBytes(16));
            SegmentLayout.WriteNew(file, fileLength, dtype, shape, dataBytes, generation, persistent);
            // The robust mutex is ready before anyone can open the segment, so no opener has to race to initialise it.
            Sync.SyncBlock.InitializeNew((ControlBlock*)(file + fileLength - ControlBlock.Size));
            var layout = SegmentLayout.Read(file, fileLength, name);
            var segment = new Segment(name, path, directory, fd, view, fileLength, layout, writable: true, ownsName: !persistent, identity);

            initialize?.Invoke(segment);
            Volatile.Write(ref ControlBlock.StateWord(segment.Control), ControlBlock.StateReady);

            if (Link(tempPath, path) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw errno switch
                {
                    Interop.Errno.EEXIST => new SegmentExistsException($"A segment named '{name}' already exists in {directory.Path}.", name),
                    Interop.Errno.ENOENT => new SharedArrayException(
                        $"Segment '{name}' could not be published: its temporary name {tempName} was removed by another process while it was being built " +
                        $"(a collector that took this process for dead?).", name),
                    _ => Errors.ForCreate(errno, name, directory.Path),
                };
            }
            if (segment.OwnsName)
            {
                OwnedSegments.Add(segment);
            }
            return segment;
        }
        catch
        {
            view?.Dispose();
            fd.Dispose();
            throw;
        }
        finally
        {
            // Whether published or not, the temporary name goes: the object lives on under its real
            // name (if linked) and in our mapping. Only then may the exit hooks forget it.
            UnlinkIn(directory, tempName);
            pending.Dispose();
        }
    }

    /// <summary>
    /// Makes sure the file system can hold the whole segment now, so that no process ever takes a
    /// SIGBUS for a page tmpfs cannot back later (CPython gh-114390, torch #5040).
    /// </summary>
    private static void Reserve(SafeFdHandle fd, SegmentDirectory directory, string name, long fileLength)
    {
        long available = AvailableBytes(fd);
        if (available >= 0 && fileLength > available)
        {
            throw Errors.InsufficientMemory(name, directory.Path, fileLength, available);
        }

        Check(FTruncate(fd, fileLength), "ftruncate", name);
        int error;
        while ((error = PosixFAllocate(fd, 0, fileLength)) == Interop.Errno.EINTR)
        {
        }
        if (error is Interop.Errno.ENOSPC or Interop.Errno.EFBIG or Interop.Errno.ENOMEM)
        {
            throw Errors.InsufficientMemory(name, directory.Path, fileLength, available);
        }
        if (error != 0 && error != Interop.Errno.EOPNOTSUPP && error != Interop.Errno.EINVAL)
        {
            throw Errors.ForErrno(error, "posix_fallocate", name);
        }
    }

    /// <summary>
    /// How to open. <c>HeaderOnly</c>: the caller reads only the header and control block (Inspect,
    /// Remove), so holes in the data do not matter to it.
    /// </summary>
    internal readonly record struct OpenRequest(bool ReadOnly, bool RequireOwnership, bool AllowGroupOrOtherAccess, TimeSpan Timeout, bool HeaderOnly = false);

    /// <summary>Opens a named segment in <paramref name="directory"/>, never following a symbolic link.</summary>
    [SupportedOSPlatform("linux")]
    internal static Segment OpenNamed(SegmentDirectory directory, string name, OpenRequest request) =>
        OpenCore(name, directory.PathOf(name), directory, request);

    /// <summary>Opens a .npy file or segment by path (symbolic links followed: the caller named the file).</summary>
    [SupportedOSPlatform("linux")]
    internal static Segment OpenPath(string path, OpenRequest request) =>
        OpenCore(path, System.IO.Path.GetFullPath(path), directory: null, request with { RequireOwnership = false, AllowGroupOrOtherAccess = true });

    [SupportedOSPlatform("linux")]
    private static Segment OpenCore(string name, string path, SegmentDirectory? directory, OpenRequest request)
    {
        long deadline = Environment.TickCount64 + (long)request.Timeout.TotalMilliseconds;
        for (int attempt = 0; ; attempt++)
        {
            SafeFdHandle fd = OpenFd(name, path, directory, request.ReadOnly);
            SafeMappedViewHandle? view = null;
            try
            {
                StatxBuf st = Stat(fd, name);
                CheckObject(st, name, path, request);
                LockShared(fd, name, deadline);

                // The name may have been removed (by its owner or the collector) or replaced between
                // our open and our lock; then we hold a lock on an object nobody can find. Start over.
                if (directory is not null && !StillNamed(path, st))
                {
                    fd.Dispose();
                    if (attempt < 3)
                    {
                        continue;
                    }
                    throw new SegmentNotFoundException($"Segment '{name}' was removed while it was being opened.", name);
                }

                long fileLength = (long)st.stx_size;
                if (fileLength == 0)
                {
                    throw new InvalidSegmentException($"'{name}' is empty (0 bytes), not a segment.", name);
                }
                if (!request.HeaderOnly)
                {
                    EnsureBacked(fd, st, name, directory?.Path ?? System.IO.Path.GetDirectoryName(path) ?? path, writable: !request.ReadOnly);
                }
                view = Map(fd, fileLength, !request.ReadOnly, name);
                byte* file = (byte*)view.DangerousGetHandle();
                var layout = SegmentLayout.Read(file, fileLength, name);
                if (layout.HasControlBlock)
                {
                    WaitUntilReady((ControlBlock*)(file + layout.TrailerOffset), layout, name, deadline);
                }
                var identity = new FileIdentity(st.stx_dev_major, st.stx_dev_minor, st.stx_ino);
                return new Segment(name, path, directory, fd, view, fileLength, layout, !request.ReadOnly, ownsName: false, identity);
            }
            catch
            {
                view?.Dispose();
                fd.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Makes sure the pages of a file with holes can be backed before anyone touches them. A sparse .npy
    /// (numpy's open_memmap makes one) or a segment copied sparse has pages the file system allocates only
    /// on first touch, and on a full tmpfs that touch is a SIGBUS. A writable open reserves the holes now
    /// (posix_fallocate, which changes no byte of the file, and on failure leaves it as it was). A
    /// read-only descriptor cannot reserve; but on tmpfs and hugetlbfs even a read fault allocates a page,
    /// so a read-only open there checks that the holes would fit. Either way a full file system is a typed
    /// error now, not a crash later.
    /// </summary>
    private static void EnsureBacked(SafeFdHandle fd, in StatxBuf st, string name, string where, bool writable)
    {
        ulong size = st.stx_size;
        if ((st.stx_mask & STATX_BLOCKS) == 0 || st.stx_blocks * 512 >= size)
        {
            return;
        }
        long unbacked = (long)(size - (st.stx_blocks * 512));
        if (writable)
        {
            int error;
            while ((error = PosixFAllocate(fd, 0, (long)size)) == Interop.Errno.EINTR)
            {
            }
            if (error is Interop.Errno.ENOSPC or Interop.Errno.EFBIG or Interop.Errno.ENOMEM)
            {
                throw Errors.InsufficientMemoryForHoles(name, where, (long)size, unbacked, AvailableBytes(fd), writable);
            }
            if (error != 0 && error != Interop.Errno.EOPNOTSUPP && error != Interop.Errno.EINVAL)
            {
                throw Errors.ForErrno(error, "posix_fallocate", name);
            }
        }
        else if (FStatFs(fd, out StatFs fs) == 0 && fs.f_type is TMPFS_MAGIC or HUGETLBFS_MAGIC &&
                 AvailableBytes(fd) is >= 0 and var available && unbacked > available)
        {
            throw Errors.InsufficientMemoryForHoles(name, where, (long)size, unbacked, available, writable);
        }
    }

    /// <summary>Bytes free to us on the file system of <paramref name="fd"/>; -1 if unknown or unlimited (a tmpfs with size=0 reports no blocks at all).</summary>
    private static long AvailableBytes(SafeFdHandle fd) =>
        FStatVfs(fd, out StatVfs vfs) == 0 && vfs.f_blocks != 0 ? (long)Math.Min(vfs.f_bavail * vfs.f_frsize, long.MaxValue) : -1;

    private static SafeFdHandle OpenFd(string name, string path, SegmentDirectory? directory, bool readOnly)
    {
        // O_NONBLOCK: opening a FIFO planted under the name must fail our checks, not hang.
        int flags = (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK;
        int fd;
        if (directory is null)
        {
            fd = Open(path, flags, 0);
        }
        else
        {
            flags |= O_NOFOLLOW;
            fd = directory.IsPosixShm ? ShmOpen("/" + name, flags, 0) : Open(path, flags, 0);
        }
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            // glibc's shm_open reports a directory as EINVAL (POSIX), open as EISDIR; a symlink under
            // O_NOFOLLOW is ELOOP. Look at what is there to say so plainly.
            if (errno is Interop.Errno.EINVAL or Interop.Errno.EISDIR or Interop.Errno.ELOOP or Interop.Errno.ENXIO &&
                Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out StatxBuf st) == 0 &&
                (st.stx_mode & S_IFMT) != S_IFREG)
            {
                throw new InvalidSegmentException($"'{path}' is {Describe(st.stx_mode)}, not a segment; refusing to open it.", name);
            }
            throw Errors.ForOpen(errno, name, path, readOnly);
        }
        return new SafeFdHandle(fd);
    }

    private static string Describe(uint mode) => (mode & S_IFMT) switch
    {
        S_IFDIR => "a directory",
        S_IFIFO => "a FIFO",
        S_IFLNK => "a symbolic link (never followed)",
        S_IFREG => "a regular file",
        _ => "a device or socket",
    };

    private static void CheckObject(in StatxBuf st, string name, string path, OpenRequest request)
    {
        if ((st.stx_mode & S_IFMT) != S_IFREG)
        {
            throw new InvalidSegmentException($"'{path}' is {Describe(st.stx_mode)}, not a segment; refusing to open it.", name);
        }
        if (request.RequireOwnership && st.stx_uid != GetEUid())
        {
            throw new SegmentAccessDeniedException(
                $"'{path}' belongs to uid {st.stx_uid}, not to this user (uid {GetEUid()}); refusing to open a segment another user controls.", name);
        }
        if (!request.AllowGroupOrOtherAccess && (st.stx_mode & GroupOtherBits) != 0)
        {
            throw new SegmentAccessDeniedException(
                $"'{path}' has mode {Convert.ToString(st.stx_mode & 0x1FF, 8)}: group or other users can change or replace its data. " +
                "Our segments are 0600; set AllowGroupOrOtherAccess (sharr: --allow-shared-mode) if this is intended.", name);
        }
    }

    /// <summary>
    /// Takes the shared lock every mapper holds. It only waits while an orphan collector holds the
    /// exclusive lock for the instant it takes to check and remove a name.
    /// </summary>
    private static void LockShared(SafeFdHandle fd, string name, long deadline)
    {
        while (FLock(fd, LOCK_SH | LOCK_NB) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Interop.Errno.EAGAIN && errno != Interop.Errno.EINTR)
            {
                throw Errors.ForErrno(errno, "flock", name);
            }
            if (Environment.TickCount64 > deadline)
            {
                throw new SharedArrayException($"Timed out waiting for the lock of '{name}': another process holds it exclusively.", name);
            }
            Thread.Sleep(1);
        }
    }

    private static void WaitUntilReady(ControlBlock* cb, SegmentLayout layout, string name, long deadline)
    {
        ref uint state = ref ControlBlock.StateWord(cb);
        uint value;
        while ((value = Volatile.Read(ref state)) != ControlBlock.StateReady)
        {
            if (value != ControlBlock.StateInitialising)
            {
                throw new InvalidSegmentException($"Segment '{name}' has an unknown state {value} in its control block.", name);
            }
            if (Environment.TickCount64 > deadline)
            {
                string creator = ProcessInfo.IsAlive(layout.CreatorPid, layout.CreatorStartTime) ? "is still running" : "has died";
                throw new InvalidSegmentException(
                    $"Segment '{name}' is still initialising (its creator, PID {layout.CreatorPid}, {creator}).", name);
            }
            Thread.Sleep(1);
        }
    }

    private static SafeMappedViewHandle Map(SafeFdHandle fd, long length, bool writable, string name)
    {
        if ((ulong)length > (ulong)nint.MaxValue)
        {
            throw new InvalidSegmentException($"'{name}' is too large to map ({length} bytes).", name);
        }
        int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
        nint address = MMap(0, (nuint)length, prot, MAP_SHARED, fd, 0);
        if (address == MAP_FAILED)
        {
            throw Errors.ForErrno(Marshal.GetLastPInvokeError(), "mmap", name);
        }
        return new SafeMappedViewHandle(address, (nuint)length);
    }

    private static StatxBuf Stat(SafeFdHandle fd, string name)
    {
        Check(Statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, out StatxBuf st), "statx", name);
        return st;
    }

    private static FileIdentity IdentityOf(SafeFdHandle fd, string name)
    {
        StatxBuf st = Stat(fd, name);
        return new FileIdentity(st.stx_dev_major, st.stx_dev_minor, st.stx_ino);
    }

    /// <summary>Whether <paramref name="path"/> names the object <paramref name="st"/> describes.</summary>
    private static bool StillNamed(string path, in StatxBuf st) =>
        Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out StatxBuf now) == 0 &&
        now.stx_ino == st.stx_ino && now.stx_dev_major == st.stx_dev_major && now.stx_dev_minor == st.stx_dev_minor;

    [SupportedOSPlatform("linux")]
    internal static bool NameRefersTo(string path, FileIdentity identity) =>
        Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out StatxBuf now) == 0 &&
        new FileIdentity(now.stx_dev_major, now.stx_dev_minor, now.stx_ino) == identity;

    [SupportedOSPlatform("linux")]
    private void RemoveNameCore()
    {
        // Only if the name still refers to our object: it may have been removed and recreated.
        if (Directory is not null && NameRefersTo(Path, Identity))
        {
            UnlinkIn(Directory, Name);
        }
    }

    /// <summary>Removes a name; true if it existed.</summary>
    [SupportedOSPlatform("linux")]
    internal static bool UnlinkIn(SegmentDirectory directory, string name)
    {
        int result = directory.IsPosixShm ? ShmUnlink("/" + name) : Unlink(directory.PathOf(name));
        if (result == 0)
        {
            return true;
        }
        int errno = Marshal.GetLastPInvokeError();
        return errno == Interop.Errno.ENOENT ? false : throw Errors.ForErrno(errno, "unlink", name);
    }

    private static void Check(int result, string call, string name)
    {
        if (result != 0)
        {
            throw Errors.ForErrno(Marshal.GetLastPInvokeError(), call, name);
        }
    }
}
