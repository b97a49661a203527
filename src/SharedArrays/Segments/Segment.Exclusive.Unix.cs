using System.Runtime.Versioning;
using SharedArrays.Format;
using static Interop.Libc;

namespace SharedArrays.Segments;

internal sealed unsafe partial class Segment
{
    /// <summary>
    /// Takes the exclusive <c>flock</c> of a name in <paramref name="directory"/> without waiting, as the
    /// orphan collector must before it may judge or remove anything. Returns null when the name is gone,
    /// is not a regular file of this user, or is locked by anyone: every process that has a segment
    /// mapped (or is creating or opening it) holds the shared lock, so holding the exclusive one proves
    /// nobody uses the object. The lock is on the object, so the name is re-checked after locking.
    /// </summary>
    [SupportedOSPlatform("linux")]
    internal static ExclusiveLock? TryLockExclusive(SegmentDirectory directory, string name)
    {
        string path = directory.PathOf(name);
        int flags = O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW;
        int raw = directory.IsPosixShm ? ShmOpen("/" + name, flags, 0) : Open(path, flags, 0);
        if (raw < 0)
        {
            return null;
        }
        var fd = new SafeFdHandle(raw);
        try
        {
            if (Statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, out StatxBuf st) != 0 ||
                (st.stx_mode & S_IFMT) != S_IFREG || st.stx_uid != GetEUid() ||
                FLock(fd, LOCK_EX | LOCK_NB) != 0 ||
                !StillNamed(path, st))
            {
                fd.Dispose();
                return null;
            }
            return new ExclusiveLock(directory, name, fd, st);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>An exclusively locked name; closing the descriptor releases the lock.</summary>
    internal sealed class ExclusiveLock : IDisposable
    {
        private readonly SegmentDirectory _directory;
        private readonly SafeFdHandle _fd;
        private readonly StatxBuf _stat;

        internal ExclusiveLock(SegmentDirectory directory, string name, SafeFdHandle fd, in StatxBuf stat)
        {
            _directory = directory;
            Name = name;
            _fd = fd;
            _stat = stat;
        }

        internal string Name { get; }

        internal long FileLength => (long)_stat.stx_size;

        /// <summary>When the object was last changed: for a temporary name, close to when its creator made it.</summary>
        internal DateTimeOffset ChangedAt => DateTimeOffset.FromUnixTimeSeconds(_stat.stx_ctime_sec).AddTicks(_stat.stx_ctime_nsec / 100);

        /// <summary>The header and control block, or null if the bytes are not a segment or .npy (yet).</summary>
        [SupportedOSPlatform("linux")]
        internal SegmentLayout? TryReadLayout()
        {
            if (FileLength == 0)
            {
                return null;
            }
            using SafeMappedViewHandle view = Map(_fd, FileLength, writable: false, Name);
            try
            {
                return SegmentLayout.Read((byte*)view.DangerousGetHandle(), FileLength, Name);
            }
            catch (InvalidSegmentException)
            {
                return null;
            }
        }

        /// <summary>The control block's state word (0 initialising, 1 ready), read while we hold the lock.</summary>
        [SupportedOSPlatform("linux")]
        internal uint ReadState(SegmentLayout layout)
        {
            using SafeMappedViewHandle view = Map(_fd, FileLength, writable: false, Name);
            var control = (ControlBlock*)((byte*)view.DangerousGetHandle() + layout.TrailerOffset);
            return Volatile.Read(ref ControlBlock.StateWord(control));
        }

        /// <summary>Removes the name, if it still refers to the locked object. True if it did.</summary>
        [SupportedOSPlatform("linux")]
        internal bool RemoveName() =>
            StillNamed(_directory.PathOf(Name), _stat) && UnlinkIn(_directory, Name);

        public void Dispose() => _fd.Dispose();
    }
}
