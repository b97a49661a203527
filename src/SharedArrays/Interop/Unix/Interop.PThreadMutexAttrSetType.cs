using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <pthread.h>: int pthread_mutexattr_settype(pthread_mutexattr_t *attr, int type);
        // Error-checking: a thread that locks twice gets EDEADLK instead of deadlocking itself.
        internal const int PTHREAD_MUTEX_ERRORCHECK = 2;

        [LibraryImport(Libraries.Libc, EntryPoint = "pthread_mutexattr_settype")]
        internal static unsafe partial int PThreadMutexAttrSetType(PThreadMutexAttr* attr, int type);
    }
}
