namespace SharedArrays;

/// <summary>
/// Walks a strided view as runs of consecutive elements, each cut to at most <c>maxChunk</c>
/// elements so that it fits a <see cref="Span{T}"/>. The trailing axes that are laid out
/// contiguously merge into one run, so a C-contiguous array of any size is a handful of runs.
/// </summary>
internal struct RunCursor
{
    private readonly long[] _shape;
    private readonly long[] _strides;
    private readonly long[] _index;
    private readonly int _outerRank;
    private readonly long _runLength;
    private readonly int _maxChunk;
    private long _runStart;
    private long _withinRun;
    private bool _done;

    internal RunCursor(long[] shape, long[] strides, long offset, int maxChunk)
    {
        _shape = shape;
        _strides = strides;
        _maxChunk = maxChunk;
        _runStart = offset;
        long run = 1;
        int axis = shape.Length - 1;
        for (; axis >= 0; axis--)
        {
            if (shape[axis] != 1 && strides[axis] != run)
            {
                break;
            }
            run *= shape[axis];
        }
        _outerRank = axis + 1;
        _runLength = run;
        _index = new long[_outerRank];
        _done = SegmentLayoutLength(shape) == 0;
    }

    private static long SegmentLayoutLength(long[] shape)
    {
        long n = 1;
        foreach (long d in shape)
        {
            n *= d;
        }
        return n;
    }

    /// <summary>The next run: its element offset and length. False when the view is exhausted.</summary>
    internal bool Next(out long offset, out int length)
    {
        if (_done)
        {
            offset = 0;
            length = 0;
            return false;
        }
        offset = _runStart + _withinRun;
        length = (int)Math.Min(_runLength - _withinRun, _maxChunk);
        _withinRun += length;
        if (_withinRun == _runLength)
        {
            _withinRun = 0;
            Advance();
        }
        return true;
    }

    private void Advance()
    {
        // An odometer over the outer (non-merged) axes.
        for (int axis = _outerRank - 1; axis >= 0; axis--)
        {
            _index[axis]++;
            _runStart += _strides[axis];
            if (_index[axis] < _shape[axis])
            {
                return;
            }
            _runStart -= _strides[axis] * _shape[axis];
            _index[axis] = 0;
        }
        _done = true;
    }
}

/// <summary>
/// The elements of a <see cref="SharedArray{T}"/> as writable spans, in C order. Use with
/// <c>foreach</c>: <c>foreach (Span&lt;double&gt; chunk in array.GetChunks()) chunk.Fill(42);</c>
/// </summary>
public unsafe ref struct SpanChunks<T> where T : unmanaged
{
    private readonly T* _origin;
    private RunCursor _cursor;
    private Span<T> _current;

    internal SpanChunks(T* origin, RunCursor cursor)
    {
        _origin = origin;
        _cursor = cursor;
        _current = default;
    }

    /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
    public readonly SpanChunks<T> GetEnumerator() => this;

    /// <summary>The current chunk.</summary>
    public readonly Span<T> Current => _current;

    /// <summary>Moves to the next chunk.</summary>
    public bool MoveNext()
    {
        if (_cursor.Next(out long offset, out int length))
        {
            _current = new Span<T>(_origin + offset, length);
            return true;
        }
        return false;
    }
}

/// <summary>The elements of a <see cref="SharedArray{T}"/> as read-only spans, in C order.</summary>
public unsafe ref struct ReadOnlySpanChunks<T> where T : unmanaged
{
    private readonly T* _origin;
    private RunCursor _cursor;
    private ReadOnlySpan<T> _current;

    internal ReadOnlySpanChunks(T* origin, RunCursor cursor)
    {
        _origin = origin;
        _cursor = cursor;
        _current = default;
    }

    /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
    public readonly ReadOnlySpanChunks<T> GetEnumerator() => this;

    /// <summary>The current chunk.</summary>
    public readonly ReadOnlySpan<T> Current => _current;

    /// <summary>Moves to the next chunk.</summary>
    public bool MoveNext()
    {
        if (_cursor.Next(out long offset, out int length))
        {
            _current = new ReadOnlySpan<T>(_origin + offset, length);
            return true;
        }
        return false;
    }
}
