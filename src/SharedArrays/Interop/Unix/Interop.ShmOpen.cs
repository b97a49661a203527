using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <sys/mman.h>: int shm_open(const char *name, int oflag, mode_t mode);
        // glibc opens "/dev/shm/" + name with O_NOFOLLOW | O_CLOEXEC added.
        [LibraryImport(Libraries.Libc, EntryPoint = "shm_open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int ShmOpen(string name, int oflag, uint mode);
    }
}
