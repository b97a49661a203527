using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <pthread.h>: int pthread_mutex_consistent(pthread_mutex_t *mutex);
        // After EOWNERDEAD: the new owner declares the guarded state repaired. Unlocking without it
        // makes the mutex permanently ENOTRECOVERABLE (until it is initialised again).
        [LibraryImport(Libraries.Libc, EntryPoint = "pthread_mutex_consistent")]
        internal static unsafe partial int PThreadMutexConsistent(void* mutex);
    }
}
