using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>
        /// Room for a <c>pthread_mutexattr_t</c>: 4 bytes in glibc on x86-64, 8 on arm64
        /// (<c>&lt;bits/pthreadtypes-arch.h&gt;</c>: <c>__SIZEOF_PTHREAD_MUTEXATTR_T</c>). Always passed by pointer.
        /// </summary>
        [StructLayout(LayoutKind.Sequential, Size = 8)]
        internal struct PThreadMutexAttr
        {
            private readonly long _storage;
        }

        // <pthread.h>: int pthread_mutexattr_init(pthread_mutexattr_t *attr);
        // Returns an error number (it does not set errno).
        [LibraryImport(Libraries.Libc, EntryPoint = "pthread_mutexattr_init")]
        internal static unsafe partial int PThreadMutexAttrInit(PThreadMutexAttr* attr);
    }
}
