using SharedArrays.Sync;

namespace SharedArrays;

/// <summary>
/// A mutex in shared memory that unrelated processes lock, and that survives its holder's death: the
/// next locker acquires it and is told (<see cref="SharedMutexScope.PreviousOwnerDied"/>). It is a
/// process-shared, robust, error-checking pthread mutex in the segment's control block, so the kernel
/// releases it when its holder dies, whatever the cause (kill -9 included).
/// </summary>
/// <remarks>
/// <para>Every array created by this library has one (<see cref="SharedArray.Mutex"/>); <see cref="Create"/>
/// makes one in a segment of its own for a lock without an array.</para>
/// <para>After an owner died, the data it guarded may be half-updated. The new owner repairs it and calls
/// <see cref="SharedMutexScope.MarkConsistent"/>; releasing without doing so fails closed: every later lock
/// throws <see cref="MutexNotRecoverableException"/> until <see cref="Reset"/>.</para>
/// <para>Ownership belongs to a thread: release on the thread that locked, and do not <c>await</c> inside the
/// scope. Waiting is done in slices of at most 50 ms (a futex wait cannot watch a
/// <see cref="CancellationToken"/>), so cancellation is noticed within about 50 ms.</para>
/// <code>
/// using SharedMutexScope held = array.Mutex.Lock(TimeSpan.FromSeconds(5));
/// if (held.PreviousOwnerDied)
/// {
///     Repair(array);
///     held.MarkConsistent();
/// }
/// array[0] += 1;
/// </code>
/// </remarks>
public sealed class SharedMutex : IDisposable
{
    private readonly SharedArray _array;
    private readonly bool _ownsArray;
    private SyncBlock _sync;
    private bool _syncReady;

    internal SharedMutex(SharedArray array, bool ownsArray)
    {
        _array = array;
        _ownsArray = ownsArray;
    }

    /// <summary>The name of the segment the mutex lives in.</summary>
    public string Name => _array.Name;

    /// <summary>
    /// Creates a named mutex in a segment of its own (an empty uint8 array: the control block alone).
    /// The creator owns the name as for any segment: it goes when the creator disposes or exits unless
    /// <see cref="SharedArrayCreateOptions.Persistent"/> is set, which suits a lock that outlives its users.
    /// </summary>
    /// <exception cref="SegmentExistsException">The name is taken.</exception>
    public static SharedMutex Create(string name, SharedArrayCreateOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new SharedMutex(SharedArray.Create(name, DType.UInt8, [0], options), ownsArray: true);
    }

    /// <summary>Opens a named mutex, or the mutex of any segment of ours, by name.</summary>
    /// <exception cref="SegmentNotFoundException">No such segment.</exception>
    public static SharedMutex Open(string name, SharedArrayOpenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (options?.ReadOnly == true)
        {
            throw new ArgumentException("A mutex is locked by writing to it; it cannot be opened read-only.", nameof(options));
        }
        SharedArray array = SharedArray.Open(name, options);
        if (array.Format != SegmentFormat.SharedArray)
        {
            array.Dispose();
            throw new InvalidSegmentException($"'{name}' is a plain .npy file: it has no control block, so no mutex.", name);
        }
        return new SharedMutex(array, ownsArray: true);
    }

    /// <summary>
    /// Opens the named mutex, creating it if it does not exist: what <c>new Mutex(false, name)</c> does.
    /// Of several processes racing to create it, one creates it and the others open it.
    /// </summary>
    public static SharedMutex OpenOrCreate(string name, SharedArrayCreateOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var openOptions = new SharedArrayOpenOptions { Directory = options?.Directory };
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return Open(name, openOptions);
            }
            catch (SegmentNotFoundException) when (attempt < 10)
            {
            }
            try
            {
                return Create(name, options);
            }
            catch (SegmentExistsException) when (attempt < 10)
            {
                // Created by someone else since our open failed: open it.
            }
        }
    }

    /// <summary>Waits as long as it takes to lock the mutex.</summary>
    /// <returns>The held lock; dispose it to release. Check <see cref="SharedMutexScope.PreviousOwnerDied"/>.</returns>
    /// <exception cref="MutexNotRecoverableException">An earlier owner's death was never repaired; see <see cref="Reset"/>.</exception>
    /// <exception cref="LockRecursionException">This thread already holds it.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public SharedMutexScope Lock(CancellationToken cancellationToken = default) =>
        Held(Sync.Lock(Timeout.InfiniteTimeSpan, cancellationToken));

    /// <summary>Locks the mutex, waiting at most <paramref name="timeout"/>.</summary>
    /// <exception cref="TimeoutException">Another thread or process held it all along.</exception>
    /// <exception cref="MutexNotRecoverableException">An earlier owner's death was never repaired; see <see cref="Reset"/>.</exception>
    public SharedMutexScope Lock(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!TryLock(timeout, out SharedMutexScope scope, cancellationToken))
        {
            throw new TimeoutException($"The lock of '{Name}' was not acquired within {timeout}.");
        }
        return scope;
    }

    /// <summary>Tries to lock the mutex within <paramref name="timeout"/> (zero: do not wait).</summary>
    /// <returns>True with the held lock in <paramref name="scope"/>; false when the time ran out.</returns>
    public bool TryLock(TimeSpan timeout, out SharedMutexScope scope, CancellationToken cancellationToken = default)
    {
        Deadline.Validate(timeout, nameof(timeout));
        LockOutcome outcome = Sync.Lock(timeout, cancellationToken);
        scope = outcome == LockOutcome.TimedOut ? default : Held(outcome);
        return outcome != LockOutcome.TimedOut;
    }

    /// <summary>
    /// Makes the mutex usable again after <see cref="MutexNotRecoverableException"/>, and declares the
    /// guarded data consistent (an odd version a dead writer left is made even, so readers accept the
    /// data again). Repair the data first. It takes the lock to do so, waiting up to a second.
    /// </summary>
    /// <exception cref="InvalidOperationException">A live thread held the mutex for all of that second.</exception>
    public void Reset() => Sync.Reset();

    /// <summary>Releases the segment of a mutex from <see cref="Create"/>, <see cref="Open"/> or <see cref="OpenOrCreate"/>; does nothing for <see cref="SharedArray.Mutex"/>, which lives as long as its array.</summary>
    public void Dispose()
    {
        if (_ownsArray)
        {
            _array.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"SharedMutex '{Name}'";

    internal void Unlock(bool inherited)
    {
        // Not Sync: releasing must work after the array was disposed (the segment stays mapped until then).
        SyncBlock sync = Volatile.Read(ref _syncReady) ? _sync : _array.SyncBlockForRelease();
        if (!_array.Segment.UnmapDeferred)
        {
            _array.ThrowIfDisposedForSync();
        }
        sync.Unlock(inherited);
        _array.Segment.LockReleased();
        _array.AfterRelease();
    }

    /// <summary>A lock just taken: counted on the segment, which stays mapped until it is released.</summary>
    private SharedMutexScope Held(LockOutcome outcome)
    {
        _array.Segment.LockTaken();
        return new SharedMutexScope(this, outcome == LockOutcome.AcquiredOwnerDied);
    }

    internal void MarkConsistent() => Sync.MarkConsistent();

    /// <summary>
    /// The segment's synchronisation area, checked once (a control block, opened for writing); later only
    /// that the array is still open. This keeps an uncontended lock and unlock near the cost of the two
    /// glibc calls.
    /// </summary>
    private SyncBlock Sync
    {
        get
        {
            if (!Volatile.Read(ref _syncReady))
            {
                _sync = _array.GetSyncBlock(forWriting: true);
                Volatile.Write(ref _syncReady, true);
                return _sync;
            }
            _array.ThrowIfDisposedForSync();
            return _sync;
        }
    }
}
