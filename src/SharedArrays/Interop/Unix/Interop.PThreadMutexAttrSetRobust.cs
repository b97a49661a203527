using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <pthread.h>: int pthread_mutexattr_setrobust(pthread_mutexattr_t *attr, int robustness);
        internal const int PTHREAD_MUTEX_ROBUST = 1;

        [LibraryImport(Libraries.Libc, EntryPoint = "pthread_mutexattr_setrobust")]
        internal static unsafe partial int PThreadMutexAttrSetRobust(PThreadMutexAttr* attr, int robustness);
    }
}
