namespace SharedArrays;

/// <summary>
/// The base of every error this library reports about a shared array or its segment. Catch this to
/// handle them all; catch a derived type for one cause.
/// </summary>
public class SharedArrayException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public SharedArrayException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public SharedArrayException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates an exception about the segment <paramref name="segmentName"/>.</summary>
    public SharedArrayException(string message, string? segmentName, Exception? innerException = null)
        : base(message, innerException) => SegmentName = segmentName;

    /// <summary>The segment name (or file path) the error is about, when there is one.</summary>
    public string? SegmentName { get; }
}
