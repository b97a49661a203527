namespace SharedArrays;

/// <summary>Reads the frames of a <see cref="SharedPublisher{T}"/> as <typeparamref name="T"/> elements; see <see cref="SharedSubscriber"/>.</summary>
public sealed class SharedSubscriber<T> : SharedSubscriber where T : unmanaged
{
    private SharedSubscriber(SharedArray<T> array) : base(array, (shape, offset) => array.CreateTypedView(shape, offset))
    {
    }

    /// <summary>Opens a publisher's segment to read it (read-only is enough and recommended).</summary>
    /// <exception cref="ElementTypeMismatchException">The frames hold another element type.</exception>
    public static new SharedSubscriber<T> Open(string name, SharedArrayOpenOptions? options = null)
    {
        SharedArray<T> array = SharedArray<T>.Open(name, options);
        try
        {
            return new SharedSubscriber<T>(array);
        }
        catch
        {
            array.Dispose();
            throw;
        }
    }

    /// <summary>Copies the newest complete frame into <paramref name="destination"/> without waiting.</summary>
    /// <returns>False when no frame has been published yet.</returns>
    public bool TryReadLatest(Span<T> destination, out long frame)
    {
        RequireDestination(destination);
        unsafe
        {
            fixed (T* target = destination)
            {
                ReadLatestCore((Target: (nint)target, Length: destination.Length), static (s, slot, _) => Copy(slot, s.Target, s.Length),
                    Timeout.InfiniteTimeSpan, CancellationToken.None, wait: false, out frame);
            }
        }
        return frame != 0;
    }

    /// <summary>Copies the newest complete frame into <paramref name="destination"/>, waiting for a first frame if there is none.</summary>
    /// <returns>The frame number.</returns>
    /// <exception cref="TimeoutException">No frame within <paramref name="timeout"/>.</exception>
    public long ReadLatest(Span<T> destination, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        RequireDestination(destination);
        unsafe
        {
            fixed (T* target = destination)
            {
                ReadLatestCore((Target: (nint)target, Length: destination.Length), static (s, slot, _) => Copy(slot, s.Target, s.Length),
                    timeout, cancellationToken, wait: true, out long frame);
                return frame;
            }
        }
    }

    /// <inheritdoc cref="SharedSubscriber.ReadLatest{TResult}(Func{SharedArray, long, TResult}, TimeSpan, CancellationToken)"/>
    public TResult ReadLatest<TResult>(Func<SharedArray<T>, long, TResult> reader, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ReadLatestCore(reader, static (r, slot, frame) => r((SharedArray<T>)slot, frame), timeout, cancellationToken, wait: true, out _);
    }

    private static unsafe bool Copy(SharedArray slot, nint target, int length)
    {
        ((SharedArray<T>)slot).CopyTo(new Span<T>((T*)target, length));
        return true;
    }

    private void RequireDestination(Span<T> destination)
    {
        if (destination.Length < FrameLength)
        {
            throw new ArgumentException($"The destination holds {destination.Length} elements; a frame has {FrameLength}.", nameof(destination));
        }
    }
}
