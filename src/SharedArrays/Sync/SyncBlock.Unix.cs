using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharedArrays.Format;
using SharedArrays.Lifecycle;
using static Interop.Libc;

namespace SharedArrays.Sync;

/// <summary>The outcome of a lock attempt that did not throw.</summary>
internal enum LockOutcome
{
    Acquired,
    AcquiredOwnerDied,
    TimedOut,
}

internal readonly unsafe partial struct SyncBlock
{
    private const uint MutexNone = 0;
    private const uint MutexInitialising = 1;
    private const uint MutexReady = 2;

    /// <summary>How long an initialisation may stay in progress before its initialiser is asked whether it lives.</summary>
    private const long InitTakeoverAfterMs = 100;

    private static readonly long s_sysFutex = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => SYS_futex_x64,
        Architecture.Arm64 => SYS_futex_arm64,
        _ => 0,
    };

    private void* Mutex => _cb->Mutex;

    /// <summary>Initialises the mutex of a segment being created, before any other process can see it.</summary>
    internal static void InitializeNew(ControlBlock* cb)
    {
        if (s_sysFutex == 0)
        {
            return; // an architecture we have not checked: the area stays zero, and locking refuses it
        }
        cb->MutexInitStartTime = ProcessInfo.CurrentStartTime;
        InitPThreadMutex(cb->Mutex, "(new segment)");
        Volatile.Write(ref cb->MutexInit, Pack(MutexReady, Environment.ProcessId));
    }

    private static ulong Pack(uint state, int pid) => state | ((ulong)(uint)pid << 32);

    private static void RequireSupportedArchitecture()
    {
        // The control block reserves 64 bytes for pthread_mutex_t: glibc needs 40 on x86-64 and 48 on
        // arm64. Other architectures are not checked, so they are refused rather than guessed at.
        if (s_sysFutex == 0)
        {
            throw new PlatformNotSupportedException(
                $"Shared-memory synchronisation supports x86-64 and arm64 Linux, not {RuntimeInformation.ProcessArchitecture}.");
        }
    }

    private static void InitPThreadMutex(byte* mutex, string name)
    {
        new Span<byte>(mutex, ControlBlock.MutexBytes).Clear();
        PThreadMutexAttr attr;
        Check(PThreadMutexAttrInit(&attr), "pthread_mutexattr_init", name);
        try
        {
            Check(PThreadMutexAttrSetPShared(&attr, PTHREAD_PROCESS_SHARED), "pthread_mutexattr_setpshared", name);
            Check(PThreadMutexAttrSetRobust(&attr, PTHREAD_MUTEX_ROBUST), "pthread_mutexattr_setrobust", name);
            Check(PThreadMutexAttrSetType(&attr, PTHREAD_MUTEX_ERRORCHECK), "pthread_mutexattr_settype", name);
            Check(PThreadMutexInit(mutex, &attr), "pthread_mutex_init", name);
        }
        finally
        {
            _ = PThreadMutexAttrDestroy(&attr);
        }
    }

    private static void Check(int error, string call, string name)
    {
        if (error != 0)
        {
            throw Errors.ForErrno(error, call, name);
        }
    }

    /// <summary>
    /// Makes sure the mutex is initialised. Segments we create have it ready; a segment whose lock area
    /// is zero (made by older code or another tool) gets it here: one process wins a CAS on the init
    /// word and initialises, the others wait. If the winner dies half-way, another takes over.
    /// </summary>
    internal void EnsureMutex()
    {
        if ((uint)Volatile.Read(ref _cb->MutexInit) != MutexReady)
        {
            InitializeSlow();
        }
    }

    private void InitializeSlow()
    {
        RequireSupportedArchitecture();
        ref ulong word = ref _cb->MutexInit;
        ulong mine = Pack(MutexInitialising, Environment.ProcessId);
        long waitingSince = -1;
        while (true)
        {
            ulong seen = Volatile.Read(ref word);
            uint state = (uint)seen;
            if (state == MutexReady)
            {
                return;
            }
            if (state == MutexNone)
            {
                if (Interlocked.CompareExchange(ref word, mine, seen) == seen)
                {
                    InitializeWon(mine);
                    return;
                }
                continue;
            }
            if (state != MutexInitialising)
            {
                throw new InvalidSegmentException($"The lock area of '{Name}' has an unknown state {state}.", Name);
            }
            long now = Environment.TickCount64;
            if (waitingSince < 0)
            {
                waitingSince = now;
            }
            else if (now - waitingSince > InitTakeoverAfterMs &&
                     !Lifecycle.ProcessInfo.IsAlive((int)(seen >> 32), Volatile.Read(ref _cb->MutexInitStartTime)) &&
                     Interlocked.CompareExchange(ref word, mine, seen) == seen)
            {
                InitializeWon(mine);
                return;
            }
            Thread.Sleep(1);
        }
    }

    private void InitializeWon(ulong mine)
    {
        Volatile.Write(ref _cb->MutexInitStartTime, ProcessInfo.CurrentStartTime);
        InitPThreadMutex(_cb->Mutex, Name);
        // A CAS, not a store: if we were too slow and another process took over, it finishes the job.
        Interlocked.CompareExchange(ref _cb->MutexInit, Pack(MutexReady, Environment.ProcessId), mine);
    }

    /// <summary>
    /// Locks the mutex: one attempt that does not wait first, then timed waits in slices of at most
    /// <see cref="Slice"/> so that <paramref name="cancellationToken"/> is honoured.
    /// </summary>
    /// <exception cref="MutexNotRecoverableException">An owner died and the next released without marking the data consistent.</exception>
    /// <exception cref="LockRecursionException">This thread already holds it.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal LockOutcome Lock(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The uncontended case inline: a ready mutex, free, and no inconsistent flag. Any other first
        // answer (held, inherited from a dead owner, ...) goes on to the full path with that answer: an
        // EOWNERDEAD has already acquired the lock, and must not be asked for again.
        if (!cancellationToken.IsCancellationRequested && (uint)Volatile.Read(ref _cb->MutexInit) == MutexReady)
        {
            int first = TryLockCore(Mutex);
            if (first == 0 && (Volatile.Read(ref _cb->SyncFlags) & ControlBlock.SyncFlagInconsistent) == 0)
            {
                return LockOutcome.Acquired;
            }
            return Lock(first, timeout, cancellationToken, failClosed: true);
        }
        cancellationToken.ThrowIfCancellationRequested();
        EnsureMutex();
        return Lock(TryLockCore(Mutex), timeout, cancellationToken, failClosed: true);
    }

    /// <summary>
    /// Finishes a lock whose first, non-waiting attempt answered <paramref name="error"/>.
    /// <paramref name="failClosed"/> is false only for <see cref="Reset"/>, which takes the lock to clear the inconsistent flag.
    /// </summary>
    private LockOutcome Lock(int error, TimeSpan timeout, CancellationToken cancellationToken, bool failClosed)
    {
        void* mutex = Mutex;
        if (error == Interop.Errno.ETIMEDOUT)
        {
            if (timeout == TimeSpan.Zero)
            {
                return LockOutcome.TimedOut;
            }
            Deadline deadline = Deadline.After(timeout);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                TimeSpan slice = deadline.Slice(Slice);
                if (slice == TimeSpan.Zero)
                {
                    return LockOutcome.TimedOut;
                }
                // pthread_mutex_timedlock takes CLOCK_REALTIME; a clock step can only stretch or shorten one slice.
                TimeSpec at = RealtimeAfter(slice);
                error = PThreadMutexTimedLock(mutex, &at);
                if (error != Interop.Errno.ETIMEDOUT)
                {
                    break;
                }
            }
        }
        bool ownerDied;
        switch (error)
        {
            case 0:
                ownerDied = false;
                break;
            case Interop.Errno.EOWNERDEAD:
                ownerDied = true;
                break;
            case Interop.Errno.ENOTRECOVERABLE:
                // Only a locker outside this library makes glibc's mutex itself not recoverable (ours
                // mark it consistent and fail closed through the flag, below).
                throw NotRecoverable();
            case Interop.Errno.EDEADLK:
                throw new LockRecursionException($"This thread already holds the lock of '{Name}'.");
            default:
                throw Errors.ForErrno(error, "pthread_mutex_timedlock", Name);
        }
        if (failClosed && (Volatile.Read(ref _cb->SyncFlags) & ControlBlock.SyncFlagInconsistent) != 0)
        {
            if (ownerDied)
            {
                _ = PThreadMutexConsistent(mutex);
            }
            _ = PThreadMutexUnlock(mutex);
            throw NotRecoverable();
        }
        if (ownerDied)
        {
            // We own it now. Until MarkConsistent, unlocking fails closed (see Unlock).
            Interlocked.Or(ref _cb->SyncFlags, ControlBlock.SyncFlagRepairPending);
        }
        return ownerDied ? LockOutcome.AcquiredOwnerDied : LockOutcome.Acquired;
    }

    private MutexNotRecoverableException NotRecoverable() => new(
        $"The lock of '{Name}' is not recoverable: an owner died while holding it and the next owner released it without " +
        "MarkConsistent(). Repair the data, then call Reset().", Name);

    /// <summary>
    /// One attempt that never waits: ETIMEDOUT means another thread holds the lock.
    /// </summary>
    /// <remarks>
    /// Not <c>pthread_mutex_trylock</c>: on a not-recoverable robust mutex, glibc's trylock (2.36 and
    /// earlier at least) returns ENOTRECOVERABLE but leaves the lock word set to the caller's TID, outside
    /// the robust list, so every later locker in every process blocks for ever instead of being told.
    /// <c>pthread_mutex_timedlock</c> with a deadline already past (the epoch) costs the same when the
    /// lock is free (about 20 ns for lock and unlock, measured) and releases the word correctly.
    /// </remarks>
    private static int TryLockCore(void* mutex)
    {
        TimeSpec epoch = default;
        return PThreadMutexTimedLockNoWait(mutex, &epoch);
    }

    /// <summary>
    /// Unlocks. If this owner inherited the lock from a dead one and did not mark the data consistent,
    /// the data is flagged inconsistent (bit 0 of the sync flags) and every later <see cref="Lock(TimeSpan, CancellationToken)"/>
    /// fails with <see cref="MutexNotRecoverableException"/> until <see cref="Reset"/>: POSIX's fail-closed
    /// rule. It is kept in our flag rather than in glibc's ENOTRECOVERABLE state because a glibc mutex
    /// can only leave that state by being initialised again, which races with processes locking it;
    /// the flag is cleared under the lock, with no such race.
    /// </summary>
    /// <param name="inherited">The lock was acquired from a dead owner (only then can a repair be pending).</param>
    internal void Unlock(bool inherited)
    {
        if (inherited && (Volatile.Read(ref _cb->SyncFlags) & ControlBlock.SyncFlagRepairPending) != 0)
        {
            // Flag first: if we die before the unlock, the next owner inherits the flag with the lock.
            Interlocked.Or(ref _cb->SyncFlags, ControlBlock.SyncFlagInconsistent);
            Interlocked.And(ref _cb->SyncFlags, ~ControlBlock.SyncFlagRepairPending);
            _ = PThreadMutexConsistent(Mutex);
        }
        int error = PThreadMutexUnlock(Mutex);
        if (error == Interop.Errno.EPERM)
        {
            throw new SynchronizationLockException($"This thread does not hold the lock of '{Name}'.");
        }
        Check(error, "pthread_mutex_unlock", Name);
    }

    /// <summary>Declares the guarded data repaired after the previous owner died; the caller holds the lock.</summary>
    internal void MarkConsistent()
    {
        int error = PThreadMutexConsistent(Mutex);
        // EINVAL: the mutex is not in the owner-died state (already marked): nothing to do.
        if (error != 0 && error != Interop.Errno.EINVAL)
        {
            throw Errors.ForErrno(error, "pthread_mutex_consistent", Name);
        }
        Interlocked.And(ref _cb->SyncFlags, ~(ControlBlock.SyncFlagRepairPending | ControlBlock.SyncFlagInconsistent));
    }

    /// <summary>How long <see cref="Reset"/> waits for a holder (lockers that fail closed hold it for microseconds).</summary>
    private static readonly TimeSpan ResetWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Makes a lock that fails closed usable again and declares the data consistent: under the lock, the
    /// inconsistent flag is cleared and an odd version left by a dead writer is made even. A glibc mutex
    /// made not recoverable by a locker outside this library is initialised again.
    /// </summary>
    /// <exception cref="InvalidOperationException">A live thread held the lock for all of a second.</exception>
    internal void Reset()
    {
        LockOutcome outcome;
        try
        {
            EnsureMutex();
            outcome = Lock(TryLockCore(Mutex), ResetWait, CancellationToken.None, failClosed: false);
        }
        catch (MutexNotRecoverableException)
        {
            Reinitialise();
            return;
        }
        if (outcome == LockOutcome.TimedOut)
        {
            throw new InvalidOperationException(
                $"The lock of '{Name}' is held by a live thread; Reset() is for a lock that fails closed (MutexNotRecoverableException).");
        }
        if (outcome == LockOutcome.AcquiredOwnerDied)
        {
            _ = PThreadMutexConsistent(Mutex);
        }
        RepairSeqlock();
        NotifyAll(); // before the unlock, as EndWrite does: while the lock is ours the segment is still mapped
        Check(PThreadMutexUnlock(Mutex), "pthread_mutex_unlock", Name);
    }

    /// <summary>
    /// Initialises a glibc mutex in the ENOTRECOVERABLE state again. Nobody can hold such a mutex; going
    /// through the init word makes lockers that arrive now wait, and lets exactly one resetter do it.
    /// </summary>
    private void Reinitialise()
    {
        ulong ready = Volatile.Read(ref _cb->MutexInit);
        ulong mine = Pack(MutexInitialising, Environment.ProcessId);
        if ((uint)ready == MutexReady && Interlocked.CompareExchange(ref _cb->MutexInit, mine, ready) == ready)
        {
            Volatile.Write(ref _cb->MutexInitStartTime, ProcessInfo.CurrentStartTime);
            InitPThreadMutex(_cb->Mutex, Name);
            RepairSeqlock();
            Interlocked.CompareExchange(ref _cb->MutexInit, Pack(MutexReady, Environment.ProcessId), mine);
            NotifyAll();
            return;
        }
        EnsureMutex(); // another process is resetting it; wait until it is done
    }

    private void RepairSeqlock()
    {
        Interlocked.And(ref _cb->SyncFlags, ~(ControlBlock.SyncFlagRepairPending | ControlBlock.SyncFlagInconsistent));
        ulong v = Volatile.Read(ref _cb->VersionCounter);
        if ((v & 1) != 0)
        {
            Volatile.Write(ref _cb->VersionCounter, v + 1);
        }
    }

    private static TimeSpec RealtimeAfter(TimeSpan span)
    {
        long ticks = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks + span.Ticks;
        return new TimeSpec { tv_sec = ticks / TimeSpan.TicksPerSecond, tv_nsec = ticks % TimeSpan.TicksPerSecond * 100 };
    }

    /// <summary>Sleeps while <paramref name="word"/> holds <paramref name="expected"/>, at most <paramref name="timeout"/>. True if it timed out.</summary>
    private static bool FutexWait(uint* word, uint expected, TimeSpan timeout)
    {
        var relative = new TimeSpec { tv_sec = timeout.Ticks / TimeSpan.TicksPerSecond, tv_nsec = timeout.Ticks % TimeSpan.TicksPerSecond * 100 };
        long result = Futex(s_sysFutex, word, FUTEX_WAIT, expected, &relative, null, 0);
        // 0: woken (or spuriously); EAGAIN: the word had already moved; EINTR: a signal. All mean "look again".
        return result != 0 && Marshal.GetLastPInvokeError() == Interop.Errno.ETIMEDOUT;
    }

    private static void FutexWakeAll(uint* word) => _ = Futex(s_sysFutex, word, FUTEX_WAKE, int.MaxValue, null, null, 0);
}
