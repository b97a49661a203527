using System.Runtime.InteropServices;

namespace SharedArrays.Tests.Infrastructure;

/// <summary>
/// Memory whose end touches a page mapped <c>PROT_NONE</c>: bytes placed with <see cref="Place"/> end
/// exactly at that page, so a parser that reads even one byte past its input kills the test host with
/// SIGSEGV instead of reading on silently. That is how the fuzz tests make "no read outside the file"
/// an observable fact rather than a hope.
/// </summary>
internal sealed unsafe partial class GuardedBuffer : IDisposable
{
    private const int PageSize = 4096;
    private const int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2;
    private const int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20;

    private readonly nint _base;
    private readonly nuint _length;
    private readonly byte* _guard;

    internal GuardedBuffer(int capacity)
    {
        nuint usable = (nuint)((capacity + PageSize - 1) / PageSize * PageSize);
        _length = usable + PageSize;
        _base = MMap(0, _length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (_base == -1)
        {
            throw new InvalidOperationException($"mmap failed: errno {Marshal.GetLastPInvokeError()}");
        }
        _guard = (byte*)_base + usable;
        if (MProtect((nint)_guard, PageSize, PROT_NONE) != 0)
        {
            throw new InvalidOperationException($"mprotect failed: errno {Marshal.GetLastPInvokeError()}");
        }
        Capacity = (int)usable;
    }

    internal int Capacity { get; }

    /// <summary>Copies <paramref name="bytes"/> so that they end right before the guard page; returns their start.</summary>
    internal byte* Place(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > Capacity)
        {
            throw new ArgumentException($"{bytes.Length} bytes do not fit in {Capacity}.", nameof(bytes));
        }
        byte* start = _guard - bytes.Length;
        bytes.CopyTo(new Span<byte>(start, bytes.Length));
        return start;
    }

    public void Dispose() => _ = MUnmap(_base, _length);

    // <sys/mman.h>
    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint MMap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int MProtect(nint addr, nuint length, int prot);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int MUnmap(nint addr, nuint length);
}
