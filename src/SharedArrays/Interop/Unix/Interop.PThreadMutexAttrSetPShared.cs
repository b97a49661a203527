using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <pthread.h>: int pthread_mutexattr_setpshared(pthread_mutexattr_t *attr, int pshared);
        internal const int PTHREAD_PROCESS_SHARED = 1;

        [LibraryImport(Libraries.Libc, EntryPoint = "pthread_mutexattr_setpshared")]
        internal static unsafe partial int PThreadMutexAttrSetPShared(PThreadMutexAttr* attr, int pshared);
    }
}
