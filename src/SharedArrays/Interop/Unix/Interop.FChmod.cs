using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <sys/stat.h>: int fchmod(int fd, mode_t mode);  Undoes whatever the umask removed.
        [LibraryImport(Libraries.Libc, EntryPoint = "fchmod", SetLastError = true)]
        internal static partial int FChmod(SafeFdHandle fd, uint mode);
    }
}
