using SharedArrays.Format;

namespace SharedArrays.Segments;

/// <summary>
/// One mapped segment (or .npy file) in this process: its descriptor with the shared <c>flock</c>,
/// its mapping, and its layout. Reference-counted: every <see cref="SharedArray"/> over it (the root
/// and its views) holds one reference; the last release unmaps and closes. The name is removed only
/// by the creator that owns it (<see cref="RemoveName"/>), never by a process that merely attached.
/// </summary>
internal sealed unsafe partial class Segment
{
    private readonly SafeFdHandle _fd;
    private readonly SafeMappedViewHandle _view;
    private readonly Lock _unmapGate = new();
    private int _refCount = 1;
    private int _nameRemoved;
    private bool _unmapDeferred;
    private bool _unmapped;
    private int _locksHeld;

    private Segment(string name, string path, SegmentDirectory? directory, SafeFdHandle fd, SafeMappedViewHandle view,
        long fileLength, SegmentLayout layout, bool writable, bool ownsName, FileIdentity identity)
    {
        Name = name;
        Path = path;
        Directory = directory;
        _fd = fd;
        _view = view;
        BasePointer = (byte*)view.DangerousGetHandle();
        FileLength = fileLength;
        Layout = layout;
        Writable = writable;
        OwnsName = ownsName;
        Identity = identity;
    }

    /// <summary>The segment name, or the file path for a .npy opened by path.</summary>
    internal string Name { get; }
    internal string Path { get; }

    /// <summary>The directory of a named segment; null for a file opened by path.</summary>
    internal SegmentDirectory? Directory { get; }
    internal byte* BasePointer { get; }
    internal long FileLength { get; }
    internal SegmentLayout Layout { get; }
    internal bool Writable { get; }

    /// <summary>This process created the segment (not persistent) and removes its name when done.</summary>
    internal bool OwnsName { get; }
    internal FileIdentity Identity { get; }

    internal byte* Data => BasePointer + Layout.DataOffset;

    internal ControlBlock* Control => Layout.HasControlBlock ? (ControlBlock*)(BasePointer + Layout.TrailerOffset) : null;

    internal void AddRef()
    {
        int count;
        do
        {
            count = Volatile.Read(ref _refCount);
            if (count == 0)
            {
                throw new ObjectDisposedException(nameof(SharedArray));
            }
        }
        while (Interlocked.CompareExchange(ref _refCount, count + 1, count) != count);
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refCount) == 0)
        {
            lock (_unmapGate)
            {
                // A thread of this process still holding the segment's robust mutex has it on glibc's
                // robust list, inside this mapping: unmapping now would leave that list pointing at
                // nothing, and glibc walks it on the thread's next lock. The unmap waits for the unlock.
                Volatile.Write(ref _unmapDeferred, true);
                Interlocked.MemoryBarrier();
                if (!HeldHere())
                {
                    Unmap();
                }
            }
        }
    }

    /// <summary>True when the last reference went while this process held the segment's lock: it stays mapped until the unlock.</summary>
    internal bool UnmapDeferred => Volatile.Read(ref _unmapDeferred) && !Volatile.Read(ref _unmapped);

    /// <summary>After an unlock: finishes an unmap that waited for it.</summary>
    internal void UnmapIfDeferred()
    {
        lock (_unmapGate)
        {
            if (!_unmapped && !HeldHere())
            {
                Unmap();
            }
        }
    }

    /// <summary>
    /// Locks of the segment's mutex taken through this Segment and not yet released. Counted here, not read
    /// from the shared lock word: a lock taken through another open of the same segment (or a lock word
    /// someone forged) must not keep this mapping alive.
    /// </summary>
    private bool HeldHere() => Volatile.Read(ref _locksHeld) > 0;

    internal void LockTaken() => Interlocked.Increment(ref _locksHeld);

    internal void LockReleased() => Interlocked.Decrement(ref _locksHeld);

    private void Unmap()
    {
        Volatile.Write(ref _unmapped, true);
        // Unmap before closing: the flock must outlive the mapping, since the orphan collector
        // treats "nobody holds the lock" as "nobody has it mapped".
        _view.Dispose();
        _fd.Dispose();
    }

    /// <summary>
    /// Removes the name if this process owns it, once. The mapping stays valid for everyone who has
    /// it; the memory is freed when the last mapping goes.
    /// </summary>
    internal void RemoveName()
    {
        if (OwnsName && Interlocked.Exchange(ref _nameRemoved, 1) == 0)
        {
            Lifecycle.OwnedSegments.Forget(this);
            if (OperatingSystem.IsLinux())
            {
                RemoveNameCore();
            }
        }
    }
}

/// <summary>Device and inode: which object a name refers to at one moment.</summary>
internal readonly record struct FileIdentity(uint DevMajor, uint DevMinor, ulong Inode);
