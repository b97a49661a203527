using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <pthread.h>: int pthread_mutexattr_destroy(pthread_mutexattr_t *attr);
        [LibraryImport(Libraries.Libc, EntryPoint = "pthread_mutexattr_destroy")]
        internal static unsafe partial int PThreadMutexAttrDestroy(PThreadMutexAttr* attr);
    }
}
