namespace SharedArrays;

/// <summary>
/// A reader met data that no live process is going to finish writing: the writer died in the middle
/// of a write (the version is odd and its process is gone), or a publisher's writer died. Thrown
/// instead of waiting forever. The next <see cref="SharedArray.BeginWrite(CancellationToken)"/> (which
/// reports <see cref="SharedWriteScope.PreviousOwnerDied"/>) repairs the data; retry after it.
/// </summary>
public sealed class WriterDiedException : SharedArrayException
{
    /// <summary>Creates the exception.</summary>
    public WriterDiedException(string message, string? name, int writerPid) : base(message, name) => WriterPid = writerPid;

    /// <summary>The PID the dead writer had (0 if none was recorded).</summary>
    public int WriterPid { get; }
}
