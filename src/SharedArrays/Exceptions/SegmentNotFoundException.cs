namespace SharedArrays;

/// <summary>No segment (or file) exists under the name or path.</summary>
public sealed class SegmentNotFoundException : SharedArrayException
{
    /// <summary>Creates the exception.</summary>
    public SegmentNotFoundException(string message, string? name) : base(message, name) { }
}
