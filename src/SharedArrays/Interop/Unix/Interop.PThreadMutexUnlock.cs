using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <pthread.h>: int pthread_mutex_unlock(pthread_mutex_t *mutex);
        // Never blocks (at most one FUTEX_WAKE), so the GC transition is skipped. EPERM: not the owner.
        [LibraryImport(Libraries.Libc, EntryPoint = "pthread_mutex_unlock")]
        [SuppressGCTransition]
        internal static unsafe partial int PThreadMutexUnlock(void* mutex);
    }
}
