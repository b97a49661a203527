namespace SharedArrays;

/// <summary>
/// A held <see cref="SharedMutex"/>: dispose it (on the thread that locked) to release. It tells whether
/// the previous owner died holding the lock, in which case the guarded data may be half-updated: repair
/// it and call <see cref="MarkConsistent"/> before releasing, or the mutex fails closed.
/// </summary>
public readonly struct SharedMutexScope : IDisposable
{
    private readonly SharedMutex? _mutex;
    private readonly int _threadId;

    internal SharedMutexScope(SharedMutex mutex, bool previousOwnerDied)
    {
        _mutex = mutex;
        // Only an inherited lock needs the managed check (MarkConsistent and the fail-closed release change
        // shared state first); an ordinary release on the wrong thread is refused by glibc itself (EPERM).
        _threadId = previousOwnerDied ? Environment.CurrentManagedThreadId : 0;
        PreviousOwnerDied = previousOwnerDied;
    }

    /// <summary>
    /// True when the previous owner died while holding the lock (the .NET counterpart is
    /// <see cref="AbandonedMutexException"/>). The data it guarded may be inconsistent.
    /// </summary>
    public bool PreviousOwnerDied { get; }

    /// <summary>
    /// Declares the guarded data repaired after <see cref="PreviousOwnerDied"/>. Without it, releasing
    /// makes every later lock fail with <see cref="MutexNotRecoverableException"/> until
    /// <see cref="SharedMutex.Reset"/>. Does nothing when the previous owner did not die.
    /// </summary>
    public void MarkConsistent()
    {
        RequireOwner();
        if (PreviousOwnerDied)
        {
            _mutex!.MarkConsistent();
        }
    }

    /// <summary>Releases the lock.</summary>
    /// <exception cref="SynchronizationLockException">Called on another thread than the one that locked.</exception>
    public void Dispose()
    {
        if (_mutex is not null)
        {
            if (PreviousOwnerDied)
            {
                RequireOwner();
            }
            _mutex.Unlock(PreviousOwnerDied);
        }
    }

    private void RequireOwner()
    {
        if (_mutex is null)
        {
            throw new InvalidOperationException("This scope holds no lock.");
        }
        if (PreviousOwnerDied && Environment.CurrentManagedThreadId != _threadId)
        {
            throw new SynchronizationLockException(
                $"The lock of '{_mutex.Name}' belongs to the thread that locked it (managed thread {_threadId}); release it there.");
        }
    }
}
