using SharedArrays.Format;
using SharedArrays.Lifecycle;

namespace SharedArrays.Sync;

/// <summary>
/// The synchronisation area of one segment's control block (docs/format.md section 4.3): a robust
/// process-shared mutex, the seqlock version counter, the futex notify word, the writer record and a
/// publisher's slot sequences. Every operation works on the shared bytes alone, so unrelated processes
/// (and any language that follows the format) interoperate. A value type over a pointer: creating one
/// costs nothing, and the segment's mapping must outlive it (the public types hold a reference).
/// </summary>
/// <remarks>
/// Orderings: a writer records itself, then makes the version odd with a full fence, then writes; it
/// ends with a release store of the even version, then increments the notify word and wakes every
/// waiter. A reader loads the version (acquire), copies, issues a full fence and loads it again: equal
/// and even means the copy is one state. Waiters sleep on the notify word with FUTEX_WAIT, which
/// compares the word atomically with going to sleep, so no wake between "read the version" and
/// "sleep" is ever lost.
/// <para>Linux only (pthread, futex); <see cref="SharedArray.GetSyncBlock"/> is the one place that checks.</para>
/// </remarks>
internal readonly unsafe partial struct SyncBlock
{
    /// <summary>
    /// The longest single sleep of a waiter. A futex wait cannot watch a <see cref="CancellationToken"/>
    /// or a process's death, so waits are cut into slices of at most this; it bounds how late a
    /// cancellation is noticed.
    /// </summary>
    internal static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a reader sleeps at a time while a write is in progress before it asks whether the writer still lives.</summary>
    internal static readonly TimeSpan WriterCheckSlice = TimeSpan.FromMilliseconds(10);

    private readonly ControlBlock* _cb;

    internal SyncBlock(Segment segment)
    {
        _cb = segment.Control;
        Name = segment.Name;
    }

    internal string Name { get; }

    internal bool IsPublisher => Volatile.Read(ref _cb->PublisherSlots) != 0;

    internal int PublisherSlots => (int)Volatile.Read(ref _cb->PublisherSlots);

    /// <summary>
    /// The publisher's slot count, checked against the array it must describe: the word lives in shared
    /// memory outside the checksum, and a count that disagrees with the shape would put slot views (and
    /// their sequence words) outside the mapping.
    /// </summary>
    internal int CheckedPublisherSlots(ReadOnlySpan<long> shape)
    {
        uint slots = Volatile.Read(ref _cb->PublisherSlots);
        if (slots is < 2 or > ControlBlock.MaxPublisherSlots || shape.Length < 1 || shape[0] != slots)
        {
            throw new InvalidSegmentException(
                $"'{Name}' claims {slots} publisher slots for an array of shape [{string.Join(", ", shape.ToArray())}]: " +
                $"a publisher segment has 2 to {ControlBlock.MaxPublisherSlots} slots, one per row.", Name);
        }
        return (int)slots;
    }

    internal ulong Version => Volatile.Read(ref _cb->VersionCounter);

    internal ref ulong VersionWord => ref _cb->VersionCounter;

    internal ref ulong SlotSequence(int slot) => ref *ControlBlock.PublisherSequence(_cb, slot);

    internal int WriterPid => Volatile.Read(ref _cb->WriterPid);

    /// <summary>Marks a new segment as a publisher's before it is published under its name.</summary>
    internal static void InitializePublisher(ControlBlock* cb, int slots) => cb->PublisherSlots = (uint)slots;

    /// <summary>Records this process as the writer: first the start time, then the PID, so a reader that sees the PID sees its start time.</summary>
    internal void RecordWriter()
    {
        Volatile.Write(ref _cb->WriterStartTime, ProcessInfo.CurrentStartTime);
        Volatile.Write(ref _cb->WriterPid, Environment.ProcessId);
    }

    internal void ClearWriter() => Volatile.Write(ref _cb->WriterPid, 0);

    /// <summary>Whether the recorded writer is a live process (PID and start time, so a reused PID does not count; a zombie is dead).</summary>
    internal bool WriterAlive(out int pid)
    {
        pid = Volatile.Read(ref _cb->WriterPid);
        ulong start = Volatile.Read(ref _cb->WriterStartTime);
        return pid == 0 || pid == Environment.ProcessId || Lifecycle.ProcessInfo.IsAlive(pid, start);
    }

    /// <summary>
    /// Enters a seqlock write; the caller holds the mutex. The version becomes odd with a full fence
    /// before any data is written. A version that is already odd was left by a writer that died
    /// mid-write: it stays odd (readers keep refusing the torn data) until this write ends.
    /// </summary>
    internal ulong EnterWrite()
    {
        RecordWriter();
        ulong v = Volatile.Read(ref _cb->VersionCounter);
        if ((v & 1) == 0)
        {
            v++;
            Interlocked.Exchange(ref _cb->VersionCounter, v);
        }
        else
        {
            Interlocked.MemoryBarrier();
        }
        return v;
    }

    /// <summary>
    /// Leaves a seqlock write begun at odd version <paramref name="odd"/>; the caller still holds the
    /// mutex and releases it next. Returns the new version; if the lock came from a dead owner and was
    /// not marked consistent, the version stays odd (fail closed) and <see cref="Unlock"/> flags the data inconsistent.
    /// </summary>
    internal ulong ExitWrite(ulong odd)
    {
        if ((Volatile.Read(ref _cb->SyncFlags) & ControlBlock.SyncFlagRepairPending) != 0)
        {
            return odd;
        }
        Volatile.Write(ref _cb->VersionCounter, odd + 1);
        return odd + 1;
    }

    /// <summary>Announces a completed write or publish to every waiting process.</summary>
    internal void NotifyAll()
    {
        Interlocked.Increment(ref _cb->NotifyWord);
        FutexWakeAll(&_cb->NotifyWord);
    }

    /// <summary>
    /// Waits until no write is in progress and returns the (even) version, for a reader to copy and then
    /// <see cref="Validate"/>. Spins briefly, then sleeps on the notify word in short slices, asking after
    /// each whether the writer still lives.
    /// </summary>
    /// <exception cref="WriterDiedException">The version is odd and its writer is dead, or the data was left inconsistent.</exception>
    /// <exception cref="TimeoutException">A live writer did not finish within the deadline.</exception>
    internal ulong WaitForStableVersion(Deadline deadline, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var spinner = new SpinWait();
        while (true)
        {
            uint notify = Volatile.Read(ref _cb->NotifyWord);
            ulong v = Volatile.Read(ref _cb->VersionCounter);
            if ((v & 1) == 0)
            {
                return v;
            }
            ThrowIfInconsistent(v);
            if (spinner.Count < 10)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
                continue;
            }
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan slice = deadline.Slice(WriterCheckSlice);
            if (slice == TimeSpan.Zero)
            {
                throw new TimeoutException($"A write to '{Name}' (by PID {WriterPid}) did not finish within {timeout}.");
            }
            if (FutexWait(&_cb->NotifyWord, notify, slice))
            {
                ThrowIfWriterDied(v);
            }
        }
    }

    /// <summary>True when the version is still <paramref name="version"/> after everything read before this call.</summary>
    internal bool Validate(ulong version)
    {
        // Full fence: the loads of the copy must complete before the version is loaded again (an
        // acquire load alone lets earlier loads drift past it on arm64).
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _cb->VersionCounter) == version;
    }

    /// <summary>
    /// Sleeps until a write or publish completes with a version other than <paramref name="lastSeen"/>,
    /// and returns it; returns <paramref name="lastSeen"/> when the deadline passes first.
    /// </summary>
    internal ulong WaitForChange(ulong lastSeen, Deadline deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Notify before version (both acquire): a waiter that sees the new notify value sees the new version.
            uint notify = Volatile.Read(ref _cb->NotifyWord);
            ulong v = Volatile.Read(ref _cb->VersionCounter);
            bool writing = (v & 1) != 0;
            if (!writing && v != lastSeen)
            {
                return v;
            }
            if (writing)
            {
                ThrowIfInconsistent(v);
            }
            TimeSpan slice = deadline.Slice(writing ? WriterCheckSlice : Slice);
            if (slice == TimeSpan.Zero)
            {
                return lastSeen;
            }
            if (FutexWait(&_cb->NotifyWord, notify, slice))
            {
                // A quiet slice: a write in progress may be a dead writer's, and a publisher's writer may have died.
                if (writing)
                {
                    ThrowIfWriterDied(v);
                }
                else if (IsPublisher && !WriterAlive(out int pid))
                {
                    throw new WriterDiedException(
                        $"The writer of publisher '{Name}' (PID {pid}) died; no frame will come until another writer opens it.", Name, pid);
                }
            }
        }
    }

    private void ThrowIfInconsistent(ulong oddVersion)
    {
        if ((Volatile.Read(ref _cb->SyncFlags) & ControlBlock.SyncFlagInconsistent) != 0 && Version == oddVersion)
        {
            int pid = WriterPid;
            throw new WriterDiedException(
                $"The data of '{Name}' is inconsistent: a writer died in the middle of a write and the next owner of its lock released it " +
                "without MarkConsistent(). It stays so until SharedMutex.Reset().", Name, pid);
        }
    }

    private void ThrowIfWriterDied(ulong oddVersion)
    {
        ThrowIfInconsistent(oddVersion);
        if (!WriterAlive(out int pid) && Version == oddVersion)
        {
            throw new WriterDiedException(
                $"The writer of '{Name}' (PID {pid}) died in the middle of a write (version {oddVersion}): the data is torn. " +
                "The next BeginWrite() repairs it (PreviousOwnerDied is true), or SharedMutex.Reset() declares it consistent.", Name, pid);
        }
    }
}
