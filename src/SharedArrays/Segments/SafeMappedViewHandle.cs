using Microsoft.Win32.SafeHandles;

namespace SharedArrays.Segments;

/// <summary>A region returned by <c>mmap</c>; released with <c>munmap</c> of the same length.</summary>
internal sealed class SafeMappedViewHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly nuint _length;

    internal SafeMappedViewHandle(nint address, nuint length) : base(ownsHandle: true)
    {
        _length = length;
        SetHandle(address);
    }

    internal nuint Length => _length;

    protected override bool ReleaseHandle() => Interop.Libc.MUnmap(handle, _length) == 0;
}
