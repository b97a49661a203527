namespace SharedArrays;

/// <summary>A create found the name taken: creation is exclusive, exactly one creator wins.</summary>
public sealed class SegmentExistsException : SharedArrayException
{
    /// <summary>Creates the exception.</summary>
    public SegmentExistsException(string message, string? name) : base(message, name) { }
}
