using SharedArrays.Format;
using SharedArrays.Sync;

namespace SharedArrays;

// Synchronisation inside the segment: the mutex, the seqlock (versioned writes and consistent reads)
// and change notification. The state lives in the control block (docs/format.md section 4.3), so every
// process that maps the segment shares it.
public unsafe partial class SharedArray
{
    private SharedMutex? _mutex;

    /// <summary>
    /// The segment's cross-process mutex (robust: if its holder dies, the next locker is told). One per
    /// segment, shared by every array and view of it in every process; it lives as long as this array.
    /// Locking needs the array opened for writing.
    /// </summary>
    public SharedMutex Mutex
    {
        get
        {
            ThrowIfDisposed();
            if (_mutex is null)
            {
                Interlocked.CompareExchange(ref _mutex, new SharedMutex(this, ownsArray: false), null);
            }
            return _mutex;
        }
    }

    /// <summary>
    /// The segment's version: even when no write is in progress, odd during one
    /// (<see cref="BeginWrite(CancellationToken)"/>). Every completed write adds 2. In a
    /// <see cref="SharedPublisher{T}"/>'s segment it is twice the latest frame number.
    /// </summary>
    public long Version => (long)GetSyncBlock(forWriting: false).Version;

    /// <summary>True for the segment of a <see cref="SharedPublisher{T}"/>: its first axis holds the frame slots; read it with <see cref="SharedSubscriber"/>.</summary>
    public bool IsPublisher => Segment.Control is not null && Volatile.Read(ref Segment.Control->PublisherSlots) != 0;

    /// <summary>Begins a versioned write, waiting as long as it takes for the mutex.</summary>
    /// <inheritdoc cref="BeginWrite(TimeSpan, CancellationToken)"/>
    public SharedWriteScope BeginWrite(CancellationToken cancellationToken = default) => BeginWrite(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// Begins a versioned write (seqlock): locks the segment's mutex, so writers take turns, and makes the
    /// version odd, so readers (<see cref="ReadConsistent{TResult}"/>) never accept a half-written state.
    /// Write, then dispose the scope: the version becomes even and every <see cref="WaitForChange"/> wakes.
    /// </summary>
    /// <remarks>
    /// If the previous writer died in the middle of a write, <see cref="SharedWriteScope.PreviousOwnerDied"/>
    /// is true: rewrite the data and call <see cref="SharedWriteScope.MarkConsistent"/>. Readers meanwhile get
    /// <see cref="WriterDiedException"/> rather than wait forever.
    /// <code>
    /// using (SharedWriteScope write = frame.BeginWrite())
    /// {
    ///     source.CopyTo(frame.AsSpan());
    ///     write.MarkConsistent(); // every element was rewritten: valid even after a writer's death
    /// }
    /// </code>
    /// </remarks>
    /// <exception cref="TimeoutException">The mutex was not acquired within <paramref name="timeout"/>.</exception>
    /// <exception cref="MutexNotRecoverableException">An earlier owner's death was never repaired.</exception>
    /// <exception cref="InvalidOperationException">Read-only, a plain .npy, or a publisher's segment.</exception>
    public SharedWriteScope BeginWrite(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Deadline.Validate(timeout, nameof(timeout));
        SyncBlock sync = GetSyncBlock(forWriting: true);
        RequireNotPublisher(sync);
        LockOutcome outcome = sync.Lock(timeout, cancellationToken);
        if (outcome == LockOutcome.TimedOut)
        {
            throw new TimeoutException($"The lock of '{Name}' was not acquired within {timeout}.");
        }
        Segment.LockTaken();
        try
        {
            return new SharedWriteScope(this, (long)sync.EnterWrite(), outcome == LockOutcome.AcquiredOwnerDied);
        }
        catch
        {
            sync.Unlock(outcome == LockOutcome.AcquiredOwnerDied);
            Segment.LockReleased();
            AfterRelease();
            throw;
        }
    }

    /// <summary>
    /// Blocks, without polling, until a write or publish completes with a version other than
    /// <paramref name="lastSeenVersion"/>, and returns that version. Every waiting thread in every process
    /// wakes on each completed write (a futex on the control block's notify word).
    /// </summary>
    /// <param name="lastSeenVersion">The version the caller has seen (0 before the first write).</param>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> for ever.</param>
    /// <param name="cancellationToken">Checked on entry and noticed within about 50 ms while waiting: waits are slices of at most that.</param>
    /// <returns>The new version; <paramref name="lastSeenVersion"/> itself when the timeout elapsed first.</returns>
    /// <exception cref="WriterDiedException">A write in progress belongs to a process that died.</exception>
    public long WaitForChange(long lastSeenVersion, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Deadline.Validate(timeout, nameof(timeout));
        return (long)GetSyncBlock(forWriting: false).WaitForChange((ulong)lastSeenVersion, Deadline.After(timeout), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="reader"/> over the live data (no copy) until it has run over one consistent
    /// state: no write began or ended while it ran. It may run more than once and may see a torn state on
    /// the runs whose result is discarded, so it must tolerate any values and have no side effects it
    /// cannot repeat; an exception it throws on a torn state is discarded too.
    /// </summary>
    /// <param name="reader">Gets this array and the version it sees.</param>
    /// <param name="timeout">How long a write in progress may delay the read.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="WriterDiedException">The writer died mid-write; the data is torn until repaired.</exception>
    /// <exception cref="TimeoutException">Writes kept the data changing for longer than <paramref name="timeout"/>.</exception>
    public TResult ReadConsistent<TResult>(Func<SharedArray, long, TResult> reader, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ReadConsistentCore((Array: this, Reader: reader), static (s, v) => s.Reader(s.Array, v), timeout, cancellationToken).Result;
    }

    private protected (TResult Result, long Version) ReadConsistentCore<TState, TResult>(
        TState state, Func<TState, long, TResult> read, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Deadline.Validate(timeout, nameof(timeout));
        SyncBlock sync = GetSyncBlock(forWriting: false);
        RequireNotPublisher(sync);
        Deadline deadline = Deadline.After(timeout);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ulong version = sync.WaitForStableVersion(deadline, timeout, cancellationToken);
            TResult result;
            try
            {
                result = read(state, (long)version);
            }
            catch (Exception) when (!sync.Validate(version))
            {
                // It failed on a torn state: that run does not count, but the time it took does.
                if (deadline.Expired)
                {
                    throw new TimeoutException($"'{Name}' kept changing while it was read for {timeout}: no consistent state was seen.");
                }
                continue;
            }
            if (sync.Validate(version))
            {
                return (result, (long)version);
            }
            if (deadline.Expired)
            {
                throw new TimeoutException($"'{Name}' kept changing while it was read for {timeout}: no consistent state was seen.");
            }
        }
    }

    internal void ThrowIfDisposedForSync() => ThrowIfDisposed();

    /// <summary>
    /// The synchronisation area for releasing a lock this thread holds: allowed after the array was
    /// disposed too, since the segment then stays mapped until the unlock (see Segment.Release).
    /// </summary>
    internal SyncBlock SyncBlockForRelease()
    {
        if (Volatile.Read(ref _disposed) != 0 && !Segment.UnmapDeferred)
        {
            ThrowIfDisposed();
        }
        return new SyncBlock(Segment);
    }

    /// <summary>After a release: unmaps the segment if its last reference went while the lock was held.</summary>
    internal void AfterRelease()
    {
        if (Segment.UnmapDeferred)
        {
            Segment.UnmapIfDeferred();
        }
    }

    /// <summary>The synchronisation area, after checking that this array has one and may use it.</summary>
    internal SyncBlock GetSyncBlock(bool forWriting)
    {
        ThrowIfDisposed();
        if (!OperatingSystem.IsLinux())
        {
            throw ThrowHelper.NotLinux();
        }
        if (!Segment.Layout.HasControlBlock)
        {
            throw new InvalidOperationException(
                $"'{Name}' is a plain .npy file: without a control block it has no mutex, version or change notification.");
        }
        if (forWriting && IsReadOnly)
        {
            throw new InvalidOperationException($"'{Name}' was opened read-only; locking and writing need it opened for writing.");
        }
        return new SyncBlock(Segment);
    }

    private protected void RequireNotPublisher(SyncBlock sync)
    {
        if (sync.IsPublisher)
        {
            throw new InvalidOperationException(
                $"'{Name}' belongs to a SharedPublisher: write it with SharedPublisher<T>.Publish and read it with SharedSubscriber.");
        }
    }

    /// <summary>An untyped view of <paramref name="shape"/> (C order) at element <paramref name="offset"/>, sharing the segment.</summary>
    internal SharedArray CreateView(long[] shape, long offset)
    {
        Segment.AddRef();
        return new SharedArray(Segment, shape, CStrides(shape), offset, isRoot: false);
    }
}
