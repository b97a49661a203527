using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <fcntl.h>: int posix_fallocate(int fd, off_t offset, off_t len);
        // Returns the error number itself (it does not set errno).
        [LibraryImport(Libraries.Libc, EntryPoint = "posix_fallocate")]
        internal static partial int PosixFAllocate(SafeFdHandle fd, long offset, long len);
    }
}
