namespace SharedArrays;

/// <summary>How a segment is created.</summary>
public sealed record SharedArrayCreateOptions
{
    /// <summary>
    /// When true the segment outlives its creator: it is not removed at Dispose or exit, nor by the
    /// orphan collector, only by an explicit <see cref="SharedArray.Remove"/> (<c>sharr rm</c>).
    /// </summary>
    public bool Persistent { get; init; }

    /// <summary>
    /// The directory to create the segment in: null for <c>SHARR_DIR</c> if set, else <c>/dev/shm</c>.
    /// Any tmpfs works; one mounted with <c>huge=always</c> gives huge pages.
    /// </summary>
    public string? Directory { get; init; }
}
