using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <sys/mman.h>: int shm_unlink(const char *name);
        [LibraryImport(Libraries.Libc, EntryPoint = "shm_unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int ShmUnlink(string name);
    }
}
