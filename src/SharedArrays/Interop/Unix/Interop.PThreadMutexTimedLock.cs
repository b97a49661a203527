using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary><c>struct timespec</c> on 64-bit Linux (<c>&lt;bits/types/struct_timespec.h&gt;</c>).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct TimeSpec
        {
            internal long tv_sec;
            internal long tv_nsec;
        }

        // <pthread.h>: int pthread_mutex_timedlock(pthread_mutex_t *mutex, const struct timespec *abstime);
        // abstime is on CLOCK_REALTIME. Returns 0, ETIMEDOUT, EOWNERDEAD, ENOTRECOVERABLE or EDEADLK.
        [LibraryImport(Libraries.Libc, EntryPoint = "pthread_mutex_timedlock")]
        internal static unsafe partial int PThreadMutexTimedLock(void* mutex, TimeSpec* abstime);
    }
}
