namespace SharedArrays;

/// <summary>
/// A handle names a segment that has since been removed and recreated under the same name: the
/// generation recorded in the handle no longer matches, so the handle does not refer to this data.
/// </summary>
public sealed class StaleHandleException : SharedArrayException
{
    /// <summary>Creates the exception.</summary>
    public StaleHandleException(string message, string? name) : base(message, name) { }
}
