using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <linux/futex.h>. Without FUTEX_PRIVATE_FLAG (128) the futex is keyed by the backing object and
        // offset, not the address, so processes that map the segment at different addresses meet on it.
        internal const int FUTEX_WAIT = 0;
        internal const int FUTEX_WAKE = 1;

        // <asm/unistd_64.h> (x86-64) and <asm-generic/unistd.h> (arm64): __NR_futex.
        internal const long SYS_futex_x64 = 202;
        internal const long SYS_futex_arm64 = 98;

        // <unistd.h>: long syscall(long number, ...); called as
        // syscall(SYS_futex, uint32_t *uaddr, int op, uint32_t val, const struct timespec *timeout, uint32_t *uaddr2, uint32_t val3).
        // glibc's syscall() is written in assembly and reads its integer arguments from the registers of
        // a fixed-argument call, so declaring the six arguments is safe on x86-64 and arm64.
        // FUTEX_WAIT's timeout is relative (CLOCK_MONOTONIC). Returns -1 with errno EAGAIN (the word
        // was not the expected value), ETIMEDOUT or EINTR; FUTEX_WAKE returns the number woken.
        [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
        internal static unsafe partial long Futex(long number, uint* uaddr, int op, uint val, TimeSpec* timeout, uint* uaddr2, uint val3);
    }
}
