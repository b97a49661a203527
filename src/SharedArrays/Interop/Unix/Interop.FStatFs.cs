using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <sys/vfs.h>: int fstatfs(int fd, struct statfs *buf);
        // struct statfs on LP64 Linux (x86_64, aarch64) is 120 bytes and starts with the file system
        // type (__fsword_t f_type, a long); we read nothing else. Magic numbers from <linux/magic.h>.
        internal const long TMPFS_MAGIC = 0x01021994;
        internal const long HUGETLBFS_MAGIC = 0x958458f6;

        [StructLayout(LayoutKind.Explicit, Size = 120)]
        internal struct StatFs
        {
            [FieldOffset(0)] internal long f_type;
        }

        [LibraryImport(Libraries.Libc, EntryPoint = "fstatfs", SetLastError = true)]
        internal static partial int FStatFs(SafeFdHandle fd, out StatFs buf);
    }
}
