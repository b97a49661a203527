using System.Diagnostics;

namespace SharedArrays.Sync;

/// <summary>
/// A point on the monotonic clock by which a wait gives up, or never. Waits are cut into slices so
/// that cancellation and a dead writer are noticed while they last; this says how long a slice may be.
/// </summary>
internal readonly struct Deadline
{
    private readonly long _end;

    private Deadline(long end) => _end = end;

    internal static Deadline Never => new(long.MaxValue);

    /// <summary>The deadline <paramref name="timeout"/> from now; <see cref="Timeout.InfiniteTimeSpan"/> is never.</summary>
    internal static Deadline After(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan || timeout > Forever
            ? Never
            : new(Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency));

    /// <summary>Longer timeouts (up to <see cref="TimeSpan.MaxValue"/>) mean never: the clock arithmetic would overflow.</summary>
    private static readonly TimeSpan Forever = TimeSpan.FromDays(365 * 100);

    internal bool IsNever => _end == long.MaxValue;

    internal bool Expired => !IsNever && Stopwatch.GetTimestamp() >= _end;

    /// <summary>What is left, but at most <paramref name="slice"/>; zero once expired.</summary>
    internal TimeSpan Slice(TimeSpan slice)
    {
        if (IsNever)
        {
            return slice;
        }
        long left = _end - Stopwatch.GetTimestamp();
        if (left <= 0)
        {
            return TimeSpan.Zero;
        }
        TimeSpan remaining = TimeSpan.FromSeconds(left / (double)Stopwatch.Frequency);
        return remaining < slice ? remaining : slice;
    }

    /// <summary>Validates a public timeout argument: zero or more, or infinite.</summary>
    internal static void Validate(TimeSpan timeout, string paramName)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(paramName, timeout, "The timeout must be zero or more, or Timeout.InfiniteTimeSpan.");
        }
    }
}
