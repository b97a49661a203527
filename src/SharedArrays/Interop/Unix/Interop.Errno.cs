internal static partial class Interop
{
    // <asm-generic/errno-base.h>, <asm-generic/errno.h>
    internal static class Errno
    {
        internal const int EPERM = 1;
        internal const int ENOENT = 2;
        internal const int EINTR = 4;
        internal const int ENXIO = 6;
        internal const int EAGAIN = 11;
        internal const int ENOMEM = 12;
        internal const int EACCES = 13;
        internal const int EBUSY = 16;
        internal const int EEXIST = 17;
        internal const int ENOTDIR = 20;
        internal const int EISDIR = 21;
        internal const int EINVAL = 22;
        internal const int EMFILE = 24;
        internal const int EFBIG = 27;
        internal const int ENOSPC = 28;
        internal const int EROFS = 30;
        internal const int EDEADLK = 35;
        internal const int ENAMETOOLONG = 36;
        internal const int ELOOP = 40;
        internal const int EOPNOTSUPP = 95;
        internal const int ETIMEDOUT = 110;
        internal const int EOWNERDEAD = 130;
        internal const int ENOTRECOVERABLE = 131;
    }
}
