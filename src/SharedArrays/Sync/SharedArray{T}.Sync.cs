namespace SharedArrays;

// Typed consistent reads (seqlock); see SharedArray.Sync.cs.
public sealed unsafe partial class SharedArray<T>
{
    /// <summary>
    /// Copies the elements (C order) into <paramref name="destination"/> if no write is in progress and
    /// none begins or ends during the copy. Never waits.
    /// </summary>
    /// <param name="destination">At least <see cref="SharedArray.Length"/> elements.</param>
    /// <param name="version">The version of the copy (even) when it succeeded.</param>
    /// <returns>False when a write overlapped: the destination holds no consistent state.</returns>
    public bool TryReadConsistent(Span<T> destination, out long version)
    {
        RequireDestination(destination);
        Sync.SyncBlock sync = GetSyncBlock(forWriting: false);
        RequireNotPublisher(sync);
        ulong v = sync.Version;
        version = 0;
        if ((v & 1) != 0)
        {
            return false;
        }
        CopyTo(destination);
        if (!sync.Validate(v))
        {
            return false;
        }
        version = (long)v;
        return true;
    }

    /// <summary>
    /// Copies one consistent state of the elements (C order) into <paramref name="destination"/>: waits out
    /// a write in progress (sleeping on the notify word) and copies again if a write overlapped the copy.
    /// </summary>
    /// <returns>The version of the copy (even).</returns>
    /// <exception cref="WriterDiedException">The writer died mid-write; the data is torn until repaired.</exception>
    /// <exception cref="TimeoutException">No consistent copy within <paramref name="timeout"/>.</exception>
    public long ReadConsistent(Span<T> destination, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        RequireDestination(destination);
        fixed (T* target = destination)
        {
            return ReadConsistentCore(
                (Array: this, Target: (nint)target, Length: destination.Length),
                static (s, v) =>
                {
                    s.Array.CopyTo(new Span<T>((T*)s.Target, s.Length));
                    return v;
                },
                timeout, cancellationToken).Version;
        }
    }

    /// <inheritdoc cref="SharedArray.ReadConsistent{TResult}(Func{SharedArray, long, TResult}, TimeSpan, CancellationToken)"/>
    public TResult ReadConsistent<TResult>(Func<SharedArray<T>, long, TResult> reader, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ReadConsistentCore((Array: this, Reader: reader), static (s, v) => s.Reader(s.Array, v), timeout, cancellationToken).Result;
    }

    /// <summary>A typed view of <paramref name="shape"/> (C order) at element <paramref name="offset"/>, sharing the segment.</summary>
    internal SharedArray<T> CreateTypedView(long[] shape, long offset)
    {
        Segment.AddRef();
        return new SharedArray<T>(Segment, shape, CStrides(shape), offset, isRoot: false);
    }

    private void RequireDestination(Span<T> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} elements; the array has {Length}.", nameof(destination));
        }
    }
}
