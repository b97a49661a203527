using System.Runtime.InteropServices;
using static Interop.Libc;

namespace SharedArrays;

public unsafe partial class SharedArray
{
    /// <summary>
    /// Maps every page under this array or view into this process now, in one system call
    /// (<c>MADV_POPULATE_WRITE</c> or <c>MADV_POPULATE_READ</c>, Linux 5.14), instead of one page fault per
    /// 4 KiB on first touch: a worker about to overwrite a 320 MB slice saves most of the ~80,000 faults'
    /// cost. The memory is the segment's own: nothing is copied and no other process is affected.
    /// </summary>
    /// <param name="forWriting">Make the pages writable too (the array must be writable).</param>
    /// <returns>False if the kernel cannot (older than 5.14): the pages then fault in on first touch as usual.</returns>
    public bool Prefault(bool forWriting = false)
    {
        ThrowIfDisposed();
        if (forWriting && IsReadOnly)
        {
            ThrowHelper.ThrowReadOnly();
        }
        if (!OperatingSystem.IsLinux() || Length == 0)
        {
            return false;
        }
        var (address, length) = PageRange();
        if (MAdvise(address, length, forWriting ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) == 0)
        {
            return true;
        }
        int errno = Marshal.GetLastPInvokeError();
        return errno is Interop.Errno.EINVAL or Interop.Errno.EOPNOTSUPP
            ? false
            : throw Errors.ForErrno(errno, "madvise", Name);
    }

    /// <summary>
    /// Asks for transparent huge pages under this array (<c>MADV_HUGEPAGE</c>): with a tmpfs mounted
    /// <c>huge=advise</c> (or <c>within_size</c>/<c>always</c>), first touch then costs one fault per 2 MiB
    /// instead of per 4 KiB. Returns false where the kernel or file system does not offer them.
    /// </summary>
    public bool AdviseHugePages()
    {
        ThrowIfDisposed();
        if (!OperatingSystem.IsLinux() || Length == 0)
        {
            return false;
        }
        var (address, length) = PageRange();
        return MAdvise(address, length, MADV_HUGEPAGE) == 0;
    }

    /// <summary>
    /// Best effort <c>MADV_POPULATE_WRITE</c> over the pages holding <paramref name="bytes"/> bytes from
    /// <paramref name="start"/>, which must lie inside one of our writable mappings. Errors are ignored:
    /// the writes that follow fault the pages in as usual.
    /// </summary>
    internal static void TryPopulateWrite(void* start, long bytes)
    {
        if (!OperatingSystem.IsLinux() || bytes <= 0)
        {
            return;
        }
        const long Page = global::SharedArrays.Format.SegmentLayout.PageSize;
        nint first = (nint)start & ~(nint)(Page - 1);
        nint stop = ((nint)start + (nint)bytes + (nint)(Page - 1)) & ~(nint)(Page - 1);
        _ = MAdvise(first, (nuint)(stop - first), MADV_POPULATE_WRITE);
    }

    /// <summary>The pages holding this view's elements, from its first to its last element.</summary>
    private (nint Address, nuint Length) PageRange()
    {
        long lastElement = Offset;
        for (int i = 0; i < _shape.Length; i++)
        {
            lastElement += (_shape[i] - 1) * _strides[i];
        }
        byte* first = Segment.Data + Offset * ItemSize;
        byte* end = Segment.Data + (lastElement + 1) * ItemSize;
        const long Page = global::SharedArrays.Format.SegmentLayout.PageSize;
        nint start = (nint)first & ~(nint)(Page - 1);
        nint stop = ((nint)end + (nint)(Page - 1)) & ~(nint)(Page - 1);
        return (start, (nuint)(stop - start));
    }
}
