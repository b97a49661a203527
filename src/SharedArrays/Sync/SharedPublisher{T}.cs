using SharedArrays.Format;
using SharedArrays.Sync;

namespace SharedArrays;

/// <summary>
/// Publishes frames (arrays of one fixed shape) to any number of readers in other processes, for one
/// writer: the writer never waits for readers, and a reader (<see cref="SharedSubscriber{T}"/>) always
/// gets the newest complete frame, never a torn one.
/// </summary>
/// <remarks>
/// <para>The seed's double buffer let a slow reader copy a buffer while the writer overwrote it. Here the
/// segment holds 2 to 16 slots (shape <c>[slots, ..frameShape]</c>, a valid .npy), and each slot has a
/// sequence word in the control block, a seqlock of its own: frame F goes to slot F mod slots, whose
/// sequence is 2F-1 while it is written and 2F once complete; then the segment's version becomes 2F and
/// every waiter wakes. A reader takes the latest F, checks slot F mod slots says 2F, copies, and checks
/// it still says 2F; if the writer came round to that slot meanwhile, the copy is discarded and the
/// reader takes the newer frame. With 3 slots the writer must publish two more frames during one read
/// before a reader retries, so readers keep up unless a copy takes longer than two frame periods.</para>
/// <para>Publishing is not thread-safe: one thread writes. Another process may take over with
/// <see cref="Open"/> once this one has exited or died.</para>
/// </remarks>
public sealed class SharedPublisher<T> : IDisposable where T : unmanaged
{
    private readonly SharedArray<T> _array;
    private readonly SharedArray<T>[] _slots;
    private readonly long[] _frameShape;
    private long _frame;
    private int _disposed;

    private SharedPublisher(SharedArray<T> array)
    {
        _array = array;
        SyncBlock sync = array.GetSyncBlock(forWriting: true);
        int slots = sync.CheckedPublisherSlots(array.Shape);
        _frameShape = array.Shape[1..].ToArray();
        FrameLength = SegmentLayout.ElementCount(_frameShape);
        _slots = new SharedArray<T>[slots];
        for (int s = 0; s < slots; s++)
        {
            _slots[s] = array.CreateTypedView(_frameShape, s * FrameLength);
        }
        _frame = (long)(sync.Version / 2);
    }

    /// <summary>The segment name.</summary>
    public string Name => _array.Name;

    /// <summary>The shape of one frame.</summary>
    public ReadOnlySpan<long> FrameShape => _frameShape;

    /// <summary>The elements in one frame.</summary>
    public long FrameLength { get; }

    /// <summary>The number of slots.</summary>
    public int SlotCount => _slots.Length;

    /// <summary>The number of the last frame published (frames count from 1; 0 before the first).</summary>
    public long FrameNumber => Volatile.Read(ref _frame);

    /// <summary>Creates a publisher segment with <paramref name="slots"/> slots of <paramref name="frameShape"/> and becomes its writer.</summary>
    /// <param name="name">The segment name, or null for a generated one.</param>
    /// <param name="frameShape">The shape of every frame (at most 31 axes).</param>
    /// <param name="slots">2 to 16; 3 lets a reader take up to two frame periods per copy.</param>
    /// <param name="options">Persistence and directory.</param>
    public static SharedPublisher<T> Create(string? name, ReadOnlySpan<long> frameShape, int slots = 3, SharedArrayCreateOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slots, ControlBlock.MaxPublisherSlots);
        if (frameShape.Length >= ControlBlock.MaxRank)
        {
            throw new ArgumentException($"A frame has at most {ControlBlock.MaxRank - 1} axes; {frameShape.Length} were given.", nameof(frameShape));
        }
        long[] shape = [slots, .. frameShape];
        Segment segment = SharedArray.CreateSegment(name, DTypes.Of<T>(), shape, options, segment => InitializePublisher(segment, slots));
        var array = new SharedArray<T>(segment, segment.Layout.Shape, SharedArray.CStrides(segment.Layout.Shape), 0, isRoot: true);
        try
        {
            return new SharedPublisher<T>(array);
        }
        catch
        {
            array.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Marks the new segment a publisher and records this process as its writer before the name is
    /// published, so that no Open can take it over in between.
    /// </summary>
    private static unsafe void InitializePublisher(Segment segment, int slots)
    {
        SyncBlock.InitializePublisher(segment.Control, slots);
        new SyncBlock(segment).RecordWriter();
    }

    /// <summary>
    /// Opens an existing publisher segment to write it, taking over from a writer that has exited or died;
    /// numbering continues after the last complete frame.
    /// </summary>
    /// <exception cref="InvalidOperationException">A live process is its writer.</exception>
    public static SharedPublisher<T> Open(string name, SharedArrayOpenOptions? options = null)
    {
        SharedArray<T> array = SharedArray<T>.Open(name, options);
        try
        {
            SyncBlock sync = array.GetSyncBlock(forWriting: true);
            if (!sync.IsPublisher)
            {
                throw new SharedArrayException($"'{name}' is not a publisher segment (SharedPublisher<T>.Create makes one).", name);
            }
            // The mutex makes the check-and-claim atomic among processes taking over at once.
            using (SharedMutexScope held = array.Mutex.Lock(TimeSpan.FromSeconds(30)))
            {
                if (!sync.WriterAlive(out int pid) || pid == 0)
                {
                    sync.RecordWriter();
                }
                else if (pid != Environment.ProcessId)
                {
                    throw new InvalidOperationException($"Publisher '{name}' already has a live writer, PID {pid}.");
                }
                held.MarkConsistent(); // the mutex guards only this claim, which is now complete
            }
            return new SharedPublisher<T>(array);
        }
        catch
        {
            array.Dispose();
            throw;
        }
    }

    /// <summary>Copies <paramref name="frame"/> (C order, exactly <see cref="FrameLength"/> elements) into the next slot and publishes it.</summary>
    /// <returns>The new frame number.</returns>
    public long Publish(ReadOnlySpan<T> frame)
    {
        if (frame.Length != FrameLength)
        {
            throw new ArgumentException($"A frame has {FrameLength} elements; {frame.Length} were given.", nameof(frame));
        }
        unsafe
        {
            fixed (T* source = frame)
            {
                return PublishCore((Source: (nint)source, Length: frame.Length),
                    static (slot, s) => slot.CopyFrom(new ReadOnlySpan<T>((T*)s.Source, s.Length)));
            }
        }
    }

    /// <summary>
    /// Publishes a frame written in place, with no copy: <paramref name="write"/> gets the next slot as an
    /// array of <see cref="FrameShape"/> and must fill all of it (the slot holds an older frame). Do not keep
    /// the array after it returns. If it throws, nothing is published.
    /// </summary>
    /// <returns>The new frame number.</returns>
    public long Publish(Action<SharedArray<T>> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        return PublishCore(write, static (slot, w) => w(slot));
    }

    private long PublishCore<TState>(TState state, Action<SharedArray<T>, TState> write)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        SyncBlock sync = _array.GetSyncBlock(forWriting: true);
        long frame = _frame + 1;
        int slot = (int)(frame % _slots.Length);
        ref ulong sequence = ref sync.SlotSequence(slot);

        // Odd first, with a full fence, so no store to the slot is visible before a reader can tell.
        Interlocked.Exchange(ref sequence, (ulong)(2 * frame - 1));
        write(_slots[slot], state);
        Volatile.Write(ref sequence, (ulong)(2 * frame));
        Volatile.Write(ref sync.VersionWord, (ulong)(2 * frame));
        Volatile.Write(ref _frame, frame);
        sync.NotifyAll();
        return frame;
    }

    /// <summary>Gives up the writer role and releases the segment (its name goes too if this process created it, unless persistent).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        SyncBlock sync = _array.GetSyncBlock(forWriting: true);
        if (sync.WriterPid == Environment.ProcessId)
        {
            sync.ClearWriter();
        }
        foreach (SharedArray<T> slot in _slots)
        {
            slot.Dispose();
        }
        _array.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"SharedPublisher<{typeof(T).Name}> '{Name}' frame {FrameNumber}";
}
