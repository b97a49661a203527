using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <sys/mman.h>, <linux/mman.h>: int madvise(void *addr, size_t length, int advice);
        internal const int MADV_HUGEPAGE = 14;
        internal const int MADV_POPULATE_READ = 22;  // Linux 5.14
        internal const int MADV_POPULATE_WRITE = 23; // Linux 5.14

        [LibraryImport(Libraries.Libc, EntryPoint = "madvise", SetLastError = true)]
        internal static partial int MAdvise(nint addr, nuint length, int advice);
    }
}
