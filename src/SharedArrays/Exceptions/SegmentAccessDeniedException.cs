namespace SharedArrays;

/// <summary>
/// The segment exists but may not be used: the OS denied access, it belongs to another user, or it
/// is open to group or other users (which lets them change or swap the data under us).
/// </summary>
public sealed class SegmentAccessDeniedException : SharedArrayException
{
    /// <summary>Creates the exception.</summary>
    public SegmentAccessDeniedException(string message, string? name) : base(message, name) { }
}
