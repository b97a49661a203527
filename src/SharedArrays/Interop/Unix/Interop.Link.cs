using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <unistd.h>: int link(const char *oldpath, const char *newpath);
        // Fails with EEXIST when newpath exists: the atomic, exclusive publish of a finished segment.
        [LibraryImport(Libraries.Libc, EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Link(string oldpath, string newpath);
    }
}
