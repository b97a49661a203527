namespace SharedArrays;

/// <summary>
/// The object behind a name or path is not a usable segment: not a regular file, a symbolic link, a
/// truncated or malformed header, a control block that disagrees with the header, and so on. The
/// message names the problem.
/// </summary>
public sealed class InvalidSegmentException : SharedArrayException
{
    /// <summary>Creates the exception.</summary>
    public InvalidSegmentException(string message, string? name = null) : base(message, name) { }

    /// <summary>Creates the exception with the exception that caused it.</summary>
    public InvalidSegmentException(string message, string? name, Exception? innerException) : base(message, name, innerException) { }
}
