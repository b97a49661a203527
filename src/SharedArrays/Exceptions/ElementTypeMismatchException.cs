namespace SharedArrays;

/// <summary>
/// The segment holds a different element type, rank or shape than the caller asked for. The message
/// gives both.
/// </summary>
public sealed class ElementTypeMismatchException : SharedArrayException
{
    /// <summary>Creates the exception.</summary>
    public ElementTypeMismatchException(string message, string? name) : base(message, name) { }
}
