using SharedArrays.Format;
using SharedArrays.Sync;

namespace SharedArrays;

/// <summary>
/// Reads the frames a <see cref="SharedPublisher{T}"/> publishes, from any process: always the newest
/// complete frame, never a torn one, and never slowing the writer down. This untyped form suits tools
/// that handle any element type; <see cref="SharedSubscriber{T}"/> adds typed copies.
/// </summary>
public class SharedSubscriber : IDisposable
{
    private readonly SharedArray[] _slots;
    private readonly long[] _frameShape;
    private int _disposed;

    private protected SharedSubscriber(SharedArray array, Func<long[], long, SharedArray> createView)
    {
        Array = array;
        SyncBlock sync = array.GetSyncBlock(forWriting: false);
        if (!sync.IsPublisher)
        {
            throw new SharedArrayException($"'{array.Name}' is not a publisher segment (SharedPublisher<T>.Create makes one).", array.Name);
        }
        int slots = sync.CheckedPublisherSlots(array.Shape);
        _frameShape = array.Shape[1..].ToArray();
        FrameLength = SegmentLayout.ElementCount(_frameShape);
        _slots = new SharedArray[slots];
        for (int s = 0; s < _slots.Length; s++)
        {
            _slots[s] = createView(_frameShape, s * FrameLength);
        }
    }

    /// <summary>The whole segment (shape <c>[slots, ..frameShape]</c>).</summary>
    private protected SharedArray Array { get; }

    /// <summary>The segment name.</summary>
    public string Name => Array.Name;

    /// <summary>The element type.</summary>
    public DType DType => Array.DType;

    /// <summary>The shape of one frame.</summary>
    public ReadOnlySpan<long> FrameShape => _frameShape;

    /// <summary>The elements in one frame.</summary>
    public long FrameLength { get; }

    /// <summary>The number of slots.</summary>
    public int SlotCount => _slots.Length;

    /// <summary>The number of the latest complete frame (0 before the first).</summary>
    public long LatestFrame => Array.Version / 2;

    /// <summary>
    /// Opens a publisher's segment to read it. Read-only (<see cref="SharedArrayOpenOptions.ReadOnly"/>) is
    /// enough and recommended: a subscriber never writes.
    /// </summary>
    public static SharedSubscriber Open(string name, SharedArrayOpenOptions? options = null)
    {
        SharedArray array = SharedArray.Open(name, options);
        try
        {
            return new SharedSubscriber(array, array.CreateView);
        }
        catch
        {
            array.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="reader"/> over the newest complete frame in place (no copy) and returns its
    /// result once the frame was not overwritten while it ran; otherwise runs it again on the newer frame.
    /// Waits for the first frame if none has been published. The reader must tolerate values of a frame
    /// being overwritten (such a run is discarded, its exceptions too).
    /// </summary>
    /// <param name="reader">Gets the frame (an array of <see cref="FrameShape"/>; do not keep it) and its number.</param>
    /// <param name="timeout">How long to wait for a first frame, or for a read the writer does not overtake.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">No frame, or every read was overtaken, within <paramref name="timeout"/>.</exception>
    public TResult ReadLatest<TResult>(Func<SharedArray, long, TResult> reader, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ReadLatestCore(reader, static (r, slot, frame) => r(slot, frame), timeout, cancellationToken, wait: true, out _);
    }

    /// <summary>
    /// Blocks without polling until a frame other than <paramref name="lastSeenFrame"/> is the latest (a newer
    /// one, in practice) and returns its number; returns <paramref name="lastSeenFrame"/> when the timeout
    /// elapses first.
    /// </summary>
    /// <exception cref="WriterDiedException">The publisher's writer died.</exception>
    public long WaitForFrame(long lastSeenFrame, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Deadline.Validate(timeout, nameof(timeout));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // The version is always 2 x the latest frame, so a frame other than lastSeenFrame is a version other than twice it.
        return (long)(Array.GetSyncBlock(forWriting: false).WaitForChange((ulong)lastSeenFrame * 2, Deadline.After(timeout), cancellationToken) / 2);
    }

    /// <summary>
    /// The newest frame, read as <paramref name="read"/> says, validated by the slot's sequence. With
    /// <paramref name="wait"/> false and no frame yet, returns default with <paramref name="frame"/> 0.
    /// </summary>
    private protected TResult ReadLatestCore<TState, TResult>(TState state, Func<TState, SharedArray, long, TResult> read,
        TimeSpan timeout, CancellationToken cancellationToken, bool wait, out long frame)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Deadline.Validate(timeout, nameof(timeout));
        SyncBlock sync = Array.GetSyncBlock(forWriting: false);
        Deadline deadline = Deadline.After(timeout);
        while (true)
        {
            long latest = (long)(sync.Version / 2);
            if (latest == 0)
            {
                if (!wait)
                {
                    frame = 0;
                    return default!;
                }
                if (sync.WaitForChange(0, deadline, cancellationToken) == 0)
                {
                    throw new TimeoutException($"Publisher '{Name}' published no frame within {timeout}.");
                }
                continue;
            }
            int slot = (int)(latest % _slots.Length);
            ref ulong sequence = ref sync.SlotSequence(slot);
            ulong complete = (ulong)(2 * latest);
            if (Volatile.Read(ref sequence) == complete)
            {
                TResult result;
                bool threw = false;
                try
                {
                    result = read(state, _slots[slot], latest);
                }
                catch (Exception) when (Overtaken(ref sequence, complete))
                {
                    result = default!;
                    threw = true;
                }
                if (!threw && !Overtaken(ref sequence, complete))
                {
                    frame = latest;
                    return result;
                }
            }
            // The writer has come round to this slot: a newer frame is complete or on its way.
            cancellationToken.ThrowIfCancellationRequested();
            if (deadline.Expired)
            {
                throw new TimeoutException($"Every read of publisher '{Name}' was overtaken by the writer for {timeout}; the reader is too slow for {SlotCount} slots.");
            }
        }
    }

    private static bool Overtaken(ref ulong sequence, ulong complete)
    {
        Interlocked.MemoryBarrier(); // the reads of the frame complete before the sequence is read again
        return Volatile.Read(ref sequence) != complete;
    }

    /// <summary>Releases the segment.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the slot views and the segment.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !disposing)
        {
            return;
        }
        foreach (SharedArray slot in _slots)
        {
            slot.Dispose();
        }
        Array.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"SharedSubscriber '{Name}' frame {LatestFrame}";
}
