using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <linux/stat.h>, <sys/stat.h>: int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf);
        // statx has one layout on every architecture, unlike struct stat; it serves as both fstat
        // (empty path + AT_EMPTY_PATH) and lstat (AT_SYMLINK_NOFOLLOW).
        internal const int AT_FDCWD = -100;
        internal const int AT_SYMLINK_NOFOLLOW = 0x100;
        internal const int AT_EMPTY_PATH = 0x1000;
        internal const uint STATX_BASIC_STATS = 0x7ff;
        internal const uint STATX_BLOCKS = 0x400;

        internal const uint S_IFMT = 0xF000;
        internal const uint S_IFREG = 0x8000;
        internal const uint S_IFDIR = 0x4000;
        internal const uint S_IFLNK = 0xA000;
        internal const uint S_IFIFO = 0x1000;

        [StructLayout(LayoutKind.Explicit, Size = 256)]
        internal struct StatxBuf
        {
            [FieldOffset(0)] internal uint stx_mask;
            [FieldOffset(20)] internal uint stx_uid;
            [FieldOffset(24)] internal uint stx_gid;
            [FieldOffset(28)] internal ushort stx_mode;
            [FieldOffset(32)] internal ulong stx_ino;
            [FieldOffset(40)] internal ulong stx_size;
            [FieldOffset(48)] internal ulong stx_blocks; // allocated 512-byte blocks: fewer than stx_size / 512 means holes
            [FieldOffset(96)] internal long stx_ctime_sec;   // struct statx_timestamp stx_ctime: tv_sec
            [FieldOffset(104)] internal uint stx_ctime_nsec; //                                  tv_nsec
            [FieldOffset(136)] internal uint stx_dev_major;
            [FieldOffset(140)] internal uint stx_dev_minor;
        }

        [LibraryImport(Libraries.Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Statx(int dirfd, string path, int flags, uint mask, out StatxBuf buf);

        [LibraryImport(Libraries.Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Statx(SafeFdHandle dirfd, string path, int flags, uint mask, out StatxBuf buf);
    }
}
