namespace SharedArrays;

/// <summary>Why a segment is an orphan.</summary>
public enum OrphanReason
{
    /// <summary>A published, non-persistent segment whose creator died without removing it (say, <c>kill -9</c>) and that no process holds.</summary>
    CreatorDied,

    /// <summary>A creation that never finished: its creator died while reserving or initialising it, before publishing the name.</summary>
    AbandonedCreation,
}

/// <summary>An orphan found by <see cref="SharedArray.CollectOrphans(OrphanCollectionOptions?)"/>.</summary>
public sealed record OrphanSegment
{
    /// <summary>The name in the directory (a temporary <c>.sharr-tmp-…</c> name for an abandoned creation).</summary>
    public required string Name { get; init; }

    /// <summary>The full path of the shared-memory object.</summary>
    public required string Path { get; init; }

    /// <summary>Whether its creator died after publishing it or before.</summary>
    public required OrphanReason Reason { get; init; }

    /// <summary>The dead creator's PID, when the control block had been written.</summary>
    public int? CreatorPid { get; init; }

    /// <summary>The size of the object: the memory its removal frees.</summary>
    public required long Bytes { get; init; }

    /// <summary>True if the name was removed; false on a dry run.</summary>
    public bool Removed { get; init; }
}

/// <summary>Options for <see cref="SharedArray.CollectOrphans(OrphanCollectionOptions?)"/>.</summary>
public sealed record OrphanCollectionOptions
{
    /// <summary>The directory to collect in (default <c>SHARR_DIR</c>, else <c>/dev/shm</c>).</summary>
    public string? Directory { get; init; }

    /// <summary>Report the orphans without removing anything.</summary>
    public bool DryRun { get; init; }

    /// <summary>
    /// How old an unlocked temporary name without a control block must be to count as abandoned
    /// (default 1 s; a live creator locks its new object within microseconds).
    /// </summary>
    public TimeSpan TemporaryGracePeriod { get; init; } = TimeSpan.FromSeconds(1);
}
