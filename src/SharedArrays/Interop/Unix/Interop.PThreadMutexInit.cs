using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>
        /// The bytes a <c>pthread_mutex_t</c> may occupy: 40 in glibc on x86-64, 48 on arm64
        /// (<c>&lt;bits/pthreadtypes-arch.h&gt;</c>: <c>__SIZEOF_PTHREAD_MUTEX_T</c>). The control block reserves 64.
        /// </summary>
        internal const int PThreadMutexMaxSize = 64;

        // <pthread.h>: int pthread_mutex_init(pthread_mutex_t *mutex, const pthread_mutexattr_t *attr);
        [LibraryImport(Libraries.Libc, EntryPoint = "pthread_mutex_init")]
        internal static unsafe partial int PThreadMutexInit(void* mutex, PThreadMutexAttr* attr);
    }
}
