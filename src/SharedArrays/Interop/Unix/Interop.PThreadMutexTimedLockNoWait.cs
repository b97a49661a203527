using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <pthread.h>: int pthread_mutex_timedlock(pthread_mutex_t *mutex, const struct timespec *abstime);
        // The same function as PThreadMutexTimedLock, declared again for calls whose deadline has already
        // passed: those never sleep (a held lock costs at most one futex call that times out at once), so
        // the GC transition, a third of an uncontended lock's cost, is skipped.
        [LibraryImport(Libraries.Libc, EntryPoint = "pthread_mutex_timedlock")]
        [SuppressGCTransition]
        internal static unsafe partial int PThreadMutexTimedLockNoWait(void* mutex, TimeSpec* abstime);
    }
}
