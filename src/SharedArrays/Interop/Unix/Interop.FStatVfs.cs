using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <sys/statvfs.h>: int fstatvfs(int fd, struct statvfs *buf);
        // struct statvfs on LP64 Linux (x86_64, aarch64): eleven unsigned longs, then int __f_spare[6].
        [StructLayout(LayoutKind.Sequential)]
        internal struct StatVfs
        {
            internal ulong f_bsize;
            internal ulong f_frsize;
            internal ulong f_blocks;
            internal ulong f_bfree;
            internal ulong f_bavail;
            internal ulong f_files;
            internal ulong f_ffree;
            internal ulong f_favail;
            internal ulong f_fsid;
            internal ulong f_flag;
            internal ulong f_namemax;
            private unsafe fixed int __f_spare[6];
        }

        [LibraryImport(Libraries.Libc, EntryPoint = "fstatvfs", SetLastError = true)]
        internal static partial int FStatVfs(SafeFdHandle fd, out StatVfs buf);
    }
}
