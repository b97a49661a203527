namespace SharedArrays;

/// <summary>A description of a segment or .npy file, read without keeping it open.</summary>
public sealed record SegmentInfo
{
    /// <summary>The segment name, or the file path of a .npy opened by path.</summary>
    public required string Name { get; init; }

    /// <summary>The full path of the file or shared-memory object.</summary>
    public required string Path { get; init; }

    /// <summary>Ours (with a control block) or a plain .npy.</summary>
    public required SegmentFormat Format { get; init; }

    /// <summary>The element type.</summary>
    public required DType DType { get; init; }

    /// <summary>The npy <c>descr</c> string, e.g. <c>&lt;f8</c>.</summary>
    public string Descr => DType.Descr();

    /// <summary>The length of each axis.</summary>
    public required IReadOnlyList<long> Shape { get; init; }

    /// <summary>True when a plain .npy stores its data in Fortran (column-major) order.</summary>
    public bool FortranOrder { get; init; }

    /// <summary>The number of elements.</summary>
    public required long Length { get; init; }

    /// <summary>The bytes of element data.</summary>
    public required long DataBytes { get; init; }

    /// <summary>Where the element data starts in the file.</summary>
    public required long DataOffset { get; init; }

    /// <summary>The whole file's size: header, data, padding and control block.</summary>
    public required long FileBytes { get; init; }

    /// <summary>The 128-bit generation id; <see cref="Guid.Empty"/> for a plain .npy.</summary>
    public Guid Generation { get; init; }

    /// <summary>Whether the segment survives its creator (never for a plain .npy: that is just a file).</summary>
    public bool Persistent { get; init; }

    /// <summary>The creator's PID, or null for a plain .npy.</summary>
    public int? CreatorPid { get; init; }

    /// <summary>Whether the creating process (PID and start time) still runs; null for a plain .npy.</summary>
    public bool? CreatorAlive { get; init; }

    /// <summary>When the segment was created; null for a plain .npy, or when the control block records a time no date can hold.</summary>
    public DateTimeOffset? CreatedAt { get; init; }
}
