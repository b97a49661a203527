using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using SharedArrays.Format;
using SharedArrays.Segments;

namespace SharedArrays;

/// <summary>
/// A typed n-dimensional array in shared memory, or a view of one. Lengths, shapes and strides are
/// 64-bit: arrays beyond 2^31 elements work everywhere; spans come in chunks.
/// </summary>
/// <typeparam name="T">bool, sbyte, byte, short, ushort, int, uint, long, ulong, Half, float, double,
/// <see cref="Complex64"/> or <see cref="System.Numerics.Complex"/>.</typeparam>
public sealed unsafe partial class SharedArray<T> : SharedArray where T : unmanaged
{
    /// <summary>The largest chunk <see cref="GetChunks"/> hands out by default (2^30 elements).</summary>
    public const int DefaultMaxChunkLength = 1 << 30;

    private readonly T* _origin;

    internal SharedArray(Segment segment, long[] shape, long[] strides, long offset, bool isRoot)
        : base(segment, shape, strides, offset, isRoot)
    {
        _origin = (T*)segment.Data + offset;
    }

    /// <summary>Creates a zero-filled array (<c>numpy.zeros</c>).</summary>
    /// <param name="name">The segment name, or null for a generated one.</param>
    /// <param name="shape">The length of each axis.</param>
    /// <param name="options">Persistence and directory; null for the defaults.</param>
    public static SharedArray<T> Create(string? name, ReadOnlySpan<long> shape, SharedArrayCreateOptions? options = null) =>
        Wrap(CreateSegment(name, DTypes.Of<T>(), shape, options, initialize: null));

    /// <summary>Creates an array with every element set to <paramref name="value"/> before any other process can see it.</summary>
    public static SharedArray<T> Full(string? name, ReadOnlySpan<long> shape, T value, SharedArrayCreateOptions? options = null) =>
        Wrap(CreateSegment(name, DTypes.Of<T>(), shape, options, segment => FillData((T*)segment.Data, segment.Layout.Length, value)));

    /// <summary>Creates an array holding a copy of <paramref name="source"/>, shaped <paramref name="shape"/> (one axis if empty).</summary>
    public static SharedArray<T> From(string? name, ReadOnlySpan<T> source, ReadOnlySpan<long> shape = default, SharedArrayCreateOptions? options = null)
    {
        long[] actual = shape.IsEmpty ? [source.Length] : shape.ToArray();
        if (SegmentLayout.ElementCount(actual) != source.Length)
        {
            throw new ArgumentException($"Shape [{string.Join(", ", actual)}] holds {SegmentLayout.ElementCount(actual)} elements, but the source has {source.Length}.", nameof(shape));
        }
        fixed (T* src = source)
        {
            T* from = src;
            long bytes = (long)source.Length * sizeof(T);
            return Wrap(CreateSegment(name, DTypes.Of<T>(), actual, options, segment => Buffer.MemoryCopy(from, segment.Data, bytes, bytes)));
        }
    }

    /// <summary>Creates an array holding a copy of a tensor, with its shape.</summary>
    public static SharedArray<T> From(string? name, ReadOnlyTensorSpan<T> source, SharedArrayCreateOptions? options = null)
    {
        ReadOnlySpan<nint> lengths = source.Lengths;
        var shape = new long[lengths.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = lengths[i];
        }
        SharedArray<T> array = Create(name, shape, options);
        try
        {
            source.CopyTo(array.AsTensorSpan());
            return array;
        }
        catch
        {
            array.Dispose();
            throw;
        }
    }

    /// <summary>Opens a named segment (or a .npy path) as <typeparamref name="T"/> elements.</summary>
    /// <exception cref="ElementTypeMismatchException">The segment holds another element type.</exception>
    public static new SharedArray<T> Open(string nameOrPath, SharedArrayOpenOptions? options = null) =>
        Typed(SharedArray.Open(nameOrPath, options));

    /// <summary>Opens a named segment and checks its shape too.</summary>
    /// <exception cref="ElementTypeMismatchException">The element type, rank or shape differs.</exception>
    public static SharedArray<T> Open(string nameOrPath, ReadOnlySpan<long> expectedShape, SharedArrayOpenOptions? options = null)
    {
        SharedArray<T> array = Open(nameOrPath, options);
        if (!array.Shape.SequenceEqual(expectedShape))
        {
            string message = $"'{array.Name}' has shape [{string.Join(", ", array._shape)}] (rank {array.Rank}), not [{string.Join(", ", expectedShape.ToArray())}] (rank {expectedShape.Length}).";
            array.Dispose();
            throw new ElementTypeMismatchException(message, nameOrPath);
        }
        return array;
    }

    /// <summary>Opens the array or view a handle describes.</summary>
    public static new SharedArray<T> Open(SharedArrayHandle handle, SharedArrayOpenOptions? options = null) =>
        Typed(SharedArray.Open(handle, options));

    private static SharedArray<T> Typed(SharedArray untyped)
    {
        // Opened arrays never own their name, so the untyped root can simply be released.
        using (untyped)
        {
            DType wanted = DTypes.Of<T>();
            if (untyped.DType != wanted)
            {
                throw new ElementTypeMismatchException(
                    $"'{untyped.Name}' holds {untyped.DType.Name()} ('{untyped.DType.Descr()}'), not {wanted.Name()} ({typeof(T).Name}).", untyped.Name);
            }
            untyped.Segment.AddRef();
            return new SharedArray<T>(untyped.Segment, untyped.ShapeArray, untyped.StridesArray, untyped.Offset, isRoot: true);
        }
    }

    private static SharedArray<T> Wrap(Segment segment) =>
        new(segment, segment.Layout.Shape, CStrides(segment.Layout.Shape), 0, isRoot: true);

    /// <summary>The element at <paramref name="index"/> of a one-dimensional array.</summary>
    /// <remarks>
    /// The element is returned by reference, in the shared memory itself, so <see cref="Interlocked"/> and
    /// <see cref="Volatile"/> work on it across processes (elements are naturally aligned: the data starts
    /// on a page). A counter that any number of processes increment, exactly:
    /// <code>
    /// using var counter = SharedArray&lt;long&gt;.Open("hits");   // created once, e.g. SharedArray&lt;long&gt;.Create("hits", [1])
    /// Interlocked.Increment(ref counter[0]);                 // atomic across every process that maps it
    /// long seen = Volatile.Read(ref counter[0]);
    /// </code>
    /// For anything larger than one element, use the segment's <see cref="SharedArray.Mutex"/> or
    /// <see cref="SharedArray.BeginWrite(CancellationToken)"/>.
    /// </remarks>
    public ref T this[long index]
    {
        get
        {
            if (Rank != 1)
            {
                ThrowHelper.ThrowRankMismatch(Rank, 1);
            }
            if ((ulong)index >= (ulong)_shape[0])
            {
                ThrowHelper.ThrowIndexOutOfRange();
            }
            return ref Writable(_origin + index * _strides[0]);
        }
    }

    /// <summary>The element at (<paramref name="i"/>, <paramref name="j"/>) of a two-dimensional array.</summary>
    public ref T this[long i, long j]
    {
        get
        {
            if (Rank != 2)
            {
                ThrowHelper.ThrowRankMismatch(Rank, 2);
            }
            if ((ulong)i >= (ulong)_shape[0] || (ulong)j >= (ulong)_shape[1])
            {
                ThrowHelper.ThrowIndexOutOfRange();
            }
            return ref Writable(_origin + i * _strides[0] + j * _strides[1]);
        }
    }

    /// <summary>The element at the given indices, one per axis (none for rank 0).</summary>
    public ref T this[params ReadOnlySpan<long> indices]
    {
        get
        {
            if (indices.Length != Rank)
            {
                ThrowHelper.ThrowRankMismatch(Rank, indices.Length);
            }
            long offset = 0;
            for (int i = 0; i < indices.Length; i++)
            {
                if ((ulong)indices[i] >= (ulong)_shape[i])
                {
                    ThrowHelper.ThrowIndexOutOfRange();
                }
                offset += indices[i] * _strides[i];
            }
            return ref Writable(_origin + offset);
        }
    }

    /// <summary>Reads the element at the given indices; works on read-only arrays too.</summary>
    public T GetValue(params ReadOnlySpan<long> indices)
    {
        ThrowIfDisposed();
        if (indices.Length != Rank)
        {
            ThrowHelper.ThrowRankMismatch(Rank, indices.Length);
        }
        long offset = 0;
        for (int i = 0; i < indices.Length; i++)
        {
            if ((ulong)indices[i] >= (ulong)_shape[i])
            {
                ThrowHelper.ThrowIndexOutOfRange();
            }
            offset += indices[i] * _strides[i];
        }
        return _origin[offset];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref T Writable(T* element)
    {
        ThrowIfDisposed();
        if (IsReadOnly)
        {
            // Writing through a PROT_READ mapping would kill the process; refuse before it can.
            ThrowHelper.ThrowReadOnly();
        }
        return ref *element;
    }

    /// <summary>The array as a <see cref="TensorSpan{T}"/> over the shared memory (no copy).</summary>
    public TensorSpan<T> AsTensorSpan()
    {
        ThrowIfDisposed();
        if (IsReadOnly)
        {
            ThrowHelper.ThrowReadOnly();
        }
        Span<nint> lengths = stackalloc nint[Rank];
        Span<nint> strides = stackalloc nint[Rank];
        return new TensorSpan<T>(_origin, TensorGeometry(lengths, strides), lengths, strides);
    }

    /// <summary>The array as a <see cref="ReadOnlyTensorSpan{T}"/> over the shared memory (no copy).</summary>
    public ReadOnlyTensorSpan<T> AsReadOnlyTensorSpan()
    {
        ThrowIfDisposed();
        Span<nint> lengths = stackalloc nint[Rank];
        Span<nint> strides = stackalloc nint[Rank];
        return new ReadOnlyTensorSpan<T>(_origin, TensorGeometry(lengths, strides), lengths, strides);
    }

    /// <summary>Fills lengths and strides; returns the number of elements the view spans in memory.</summary>
    private nint TensorGeometry(Span<nint> lengths, Span<nint> strides)
    {
        nint span = Length == 0 ? 0 : 1;
        for (int i = 0; i < Rank; i++)
        {
            lengths[i] = (nint)_shape[i];
            strides[i] = (nint)_strides[i];
            if (Length != 0)
            {
                span += (nint)((_shape[i] - 1) * _strides[i]);
            }
        }
        return span;
    }

    /// <summary>The whole array as one span; it must be contiguous and hold at most <see cref="int.MaxValue"/> elements.</summary>
    /// <exception cref="InvalidOperationException">Not contiguous or too long: use <see cref="GetChunks"/>.</exception>
    public Span<T> AsSpan()
    {
        ThrowIfDisposed();
        if (IsReadOnly)
        {
            ThrowHelper.ThrowReadOnly();
        }
        return new Span<T>(_origin, SingleSpanLength());
    }

    /// <summary>The whole array as one read-only span; contiguous and at most <see cref="int.MaxValue"/> elements.</summary>
    public ReadOnlySpan<T> AsReadOnlySpan()
    {
        ThrowIfDisposed();
        return new ReadOnlySpan<T>(_origin, SingleSpanLength());
    }

    /// <summary>
    /// A span over <paramref name="length"/> elements from flat (C-order) position <paramref name="start"/>
    /// of a contiguous array: the building block for bulk work beyond 2^31 elements.
    /// </summary>
    public Span<T> AsSpan(long start, int length)
    {
        ThrowIfDisposed();
        if (IsReadOnly)
        {
            ThrowHelper.ThrowReadOnly();
        }
        RequireContiguous();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if ((ulong)start > (ulong)Length || (ulong)length > (ulong)(Length - start))
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start}+{length}) is outside the array's {Length} elements.");
        }
        return new Span<T>(_origin + start, length);
    }

    private int SingleSpanLength()
    {
        RequireContiguous();
        if (Length > int.MaxValue)
        {
            throw new InvalidOperationException($"The array has {Length} elements, more than one span holds; use GetChunks() or AsSpan(start, length).");
        }
        return (int)Length;
    }

    private void RequireContiguous()
    {
        if (!IsContiguous)
        {
            throw new InvalidOperationException("The view is not contiguous; use GetChunks() or AsTensorSpan().");
        }
    }

    /// <summary>The elements as writable spans of at most <paramref name="maxChunkLength"/> elements, in C order.</summary>
    public SpanChunks<T> GetChunks(int maxChunkLength = DefaultMaxChunkLength)
    {
        ThrowIfDisposed();
        if (IsReadOnly)
        {
            ThrowHelper.ThrowReadOnly();
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChunkLength);
        return new SpanChunks<T>(_origin, new RunCursor(_shape, _strides, 0, maxChunkLength));
    }

    /// <summary>The elements as read-only spans of at most <paramref name="maxChunkLength"/> elements, in C order.</summary>
    public ReadOnlySpanChunks<T> GetReadOnlyChunks(int maxChunkLength = DefaultMaxChunkLength)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChunkLength);
        return new ReadOnlySpanChunks<T>(_origin, new RunCursor(_shape, _strides, 0, maxChunkLength));
    }

    /// <summary>Sets every element of the array or view, using all cores for large arrays.</summary>
    public void Fill(T value)
    {
        ThrowIfDisposed();
        if (IsReadOnly)
        {
            ThrowHelper.ThrowReadOnly();
        }
        if (IsContiguous)
        {
            FillData(_origin, Length, value);
            return;
        }
        foreach (Span<T> chunk in GetChunks())
        {
            chunk.Fill(value);
        }
    }

    /// <summary>Copies <paramref name="source"/> (C order, exactly <see cref="SharedArray.Length"/> elements) into the array.</summary>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        if (source.Length != Length)
        {
            throw new ArgumentException($"The source has {source.Length} elements; the array has {Length}.", nameof(source));
        }
        foreach (Span<T> chunk in GetChunks())
        {
            source[..chunk.Length].CopyTo(chunk);
            source = source[chunk.Length..];
        }
    }

    /// <summary>Copies the elements (C order) into <paramref name="destination"/>, which must hold at least <see cref="SharedArray.Length"/>.</summary>
    public void CopyTo(Span<T> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} elements; the array has {Length}.", nameof(destination));
        }
        foreach (ReadOnlySpan<T> chunk in GetReadOnlyChunks())
        {
            chunk.CopyTo(destination);
            destination = destination[chunk.Length..];
        }
    }

    /// <summary>Copies the elements into another array or view of the same shape (it may be in another segment).</summary>
    public void CopyTo(SharedArray<T> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.Shape.SequenceEqual(Shape))
        {
            throw new ArgumentException($"Shapes differ: [{string.Join(", ", _shape)}] and [{string.Join(", ", destination._shape)}].", nameof(destination));
        }
        SpanChunks<T> target = destination.GetChunks();
        Span<T> pending = default;
        foreach (ReadOnlySpan<T> chunk in GetReadOnlyChunks())
        {
            ReadOnlySpan<T> rest = chunk;
            while (!rest.IsEmpty)
            {
                if (pending.IsEmpty)
                {
                    target.MoveNext();
                    pending = target.Current;
                }
                int n = Math.Min(rest.Length, pending.Length);
                rest[..n].CopyTo(pending);
                rest = rest[n..];
                pending = pending[n..];
            }
        }
    }

    /// <summary>A copy of the elements in a new managed array (C order).</summary>
    public T[] ToArray()
    {
        var result = GC.AllocateUninitializedArray<T>(checked((int)Length));
        CopyTo(result);
        return result;
    }

    /// <summary>
    /// A view of <paramref name="length"/> positions along <paramref name="axis"/> starting at
    /// <paramref name="start"/>; it shares the memory and can be handed to another process by its handle.
    /// </summary>
    public SharedArray<T> Slice(int axis, long start, long length)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(axis);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(axis, Rank);
        if ((ulong)start > (ulong)_shape[axis] || (ulong)length > (ulong)(_shape[axis] - start))
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start}+{length}) is outside axis {axis} of length {_shape[axis]}.");
        }
        long[] shape = (long[])_shape.Clone();
        shape[axis] = length;
        Segment.AddRef();
        return new SharedArray<T>(Segment, shape, _strides, Offset + start * _strides[axis], isRoot: false);
    }

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/>+<paramref name="count"/> (axis 0).</summary>
    public SharedArray<T> Rows(long start, long count) => Slice(0, start, count);

    /// <summary>Below this, prefaulting saves nothing measurable.</summary>
    private const ulong PrefaultThresholdBytes = 1 << 21;

    /// <summary>Sets <paramref name="count"/> elements from <paramref name="data"/>, in parallel when it pays.</summary>
    internal static void FillData(T* data, long count, T value)
    {
        const long PerTask = 1L << 22;
        if (count < 2 * PerTask)
        {
            FillRange(data, count, value);
            return;
        }
        long parts = Math.Min(Environment.ProcessorCount, count / PerTask);
        long each = (count + parts - 1) / parts;
        Parallel.For(0, parts, part =>
        {
            long start = part * each;
            FillRange(data + start, Math.Min(each, count - start), value);
        });
    }

    private static void FillRange(T* data, long count, T value)
    {
        // Map the range's pages in one call before writing: on first touch that replaces a page fault
        // per 4 KiB (most of the cost of filling fresh memory) with one madvise; on mapped pages it is cheap.
        if ((ulong)count * (ulong)sizeof(T) >= PrefaultThresholdBytes)
        {
            SharedArray.TryPopulateWrite(data, count * sizeof(T));
        }
        while (count > 0)
        {
            int n = (int)Math.Min(count, int.MaxValue);
            new Span<T>(data, n).Fill(value);
            data += n;
            count -= n;
        }
    }
}
