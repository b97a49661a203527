namespace SharedArrays;

/// <summary>
/// One process that has a segment mapped, and what the mapping costs it, read from
/// <c>/proc/PID/smaps</c> at one moment (see <see cref="SharedArray.GetUsers(string, string?)"/>).
/// </summary>
/// <remarks>
/// The byte counts add up every mapping the process has of the segment (it may have opened it more
/// than once). <see cref="ResidentBytes"/> counts the pages this process has touched, whoever else
/// has them too; <see cref="ProportionalBytes"/> divides each page by the number of processes that
/// map it, so that the PSS of all users together is the segment's memory counted once. Both are in
/// whole KiB, as the kernel reports them.
/// </remarks>
public sealed record SegmentUser
{
    /// <summary>The segment the process maps: its name, or the path of a .npy file asked for by path.</summary>
    public required string Name { get; init; }

    /// <summary>The process id, in the PID namespace of the caller's <c>/proc</c>.</summary>
    public required int Pid { get; init; }

    /// <summary>
    /// The process's arguments (<c>/proc/PID/cmdline</c>) joined by spaces, or its name in brackets
    /// (<c>[name]</c>, as <c>ps</c> writes it) when it has none.
    /// </summary>
    public required string CommandLine { get; init; }

    /// <summary>The address space the process has mapped of the segment, in bytes.</summary>
    public required long MappedBytes { get; init; }

    /// <summary>The resident set (RSS) of those mappings: bytes of the segment this process has faulted in.</summary>
    public required long ResidentBytes { get; init; }

    /// <summary>
    /// The proportional set (PSS) of those mappings: each resident page divided by the number of
    /// processes mapping it.
    /// </summary>
    public required long ProportionalBytes { get; init; }

    /// <summary>True when at least one of the mappings is writable (the process did not open it read-only).</summary>
    public bool Writable { get; init; }
}
