using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <unistd.h>: int ftruncate(int fd, off_t length);  (off_t is 64-bit on LP64 Linux)
        [LibraryImport(Libraries.Libc, EntryPoint = "ftruncate", SetLastError = true)]
        internal static partial int FTruncate(SafeFdHandle fd, long length);
    }
}
