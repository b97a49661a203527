using Microsoft.Win32.SafeHandles;

namespace SharedArrays.Segments;

/// <summary>A POSIX file descriptor. Closing it also drops any <c>flock</c> held through it.</summary>
internal sealed class SafeFdHandle : SafeHandleMinusOneIsInvalid
{
    public SafeFdHandle() : base(ownsHandle: true) { }

    internal SafeFdHandle(int fd) : base(ownsHandle: true) => SetHandle(fd);

    internal int Fd => (int)handle;

    protected override bool ReleaseHandle() => Interop.Libc.Close((int)handle) == 0;
}
