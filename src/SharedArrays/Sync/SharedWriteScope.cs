using SharedArrays.Sync;

namespace SharedArrays;

/// <summary>
/// A seqlock write in progress (<see cref="SharedArray.BeginWrite(CancellationToken)"/>): the segment's
/// mutex is held and its version is odd, so readers retry rather than accept what they see. Dispose it
/// (or call <see cref="EndWrite"/>) on the thread that began it: the version becomes even, every
/// <see cref="SharedArray.WaitForChange"/> in every process wakes, and the mutex is released.
/// </summary>
public sealed class SharedWriteScope : IDisposable
{
    private readonly SharedArray _array;
    private readonly int _threadId;
    private bool _ended;

    internal SharedWriteScope(SharedArray array, long version, bool previousOwnerDied)
    {
        _array = array;
        _threadId = Environment.CurrentManagedThreadId;
        Version = version;
        PreviousOwnerDied = previousOwnerDied;
    }

    /// <summary>The (odd) version while this write is in progress.</summary>
    public long Version { get; }

    /// <summary>
    /// True when the previous holder of the segment's mutex died holding it, perhaps in the middle of a
    /// write: the data may be torn. Rewrite what it guarded and call <see cref="MarkConsistent"/>; ending
    /// the write without doing so leaves the version odd (readers get <see cref="WriterDiedException"/>)
    /// and the mutex not recoverable until <see cref="SharedMutex.Reset"/>.
    /// </summary>
    public bool PreviousOwnerDied { get; }

    /// <summary>Declares the data repaired after <see cref="PreviousOwnerDied"/>; does nothing otherwise.</summary>
    public void MarkConsistent()
    {
        RequireOpen();
        if (PreviousOwnerDied)
        {
            _array.GetSyncBlock(forWriting: true).MarkConsistent();
        }
    }

    /// <summary>Ends the write: publishes the new (even) version, wakes every waiter and releases the mutex.</summary>
    /// <returns>The new version (still odd if the write failed closed, see <see cref="PreviousOwnerDied"/>).</returns>
    /// <exception cref="InvalidOperationException">The write has already ended.</exception>
    /// <exception cref="SynchronizationLockException">Called on another thread than the one that began the write.</exception>
    public long EndWrite()
    {
        RequireOpen();
        _ended = true;
        SyncBlock sync = _array.SyncBlockForRelease();
        ulong version = sync.ExitWrite((ulong)Version);
        // Wake the waiters while the lock still keeps the segment mapped here: after the unlock another
        // thread's Dispose may unmap it. They see the new even version either way.
        sync.NotifyAll();
        sync.Unlock(PreviousOwnerDied);
        _array.Segment.LockReleased();
        _array.AfterRelease();
        return (long)version;
    }

    /// <summary>Ends the write if <see cref="EndWrite"/> has not.</summary>
    public void Dispose()
    {
        if (!_ended)
        {
            EndWrite();
        }
    }

    private void RequireOpen()
    {
        if (_ended)
        {
            throw new InvalidOperationException($"This write to '{_array.Name}' has already ended.");
        }
        if (Environment.CurrentManagedThreadId != _threadId)
        {
            throw new SynchronizationLockException(
                $"The write to '{_array.Name}' belongs to the thread that began it (managed thread {_threadId}); end it there.");
        }
    }
}
