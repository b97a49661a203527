namespace SharedArrays;

/// <summary>How an existing segment or .npy file is opened.</summary>
public sealed record SharedArrayOpenOptions
{
    private TimeSpan _timeout = TimeSpan.FromSeconds(5);

    /// <summary>Map the data <c>PROT_READ</c>: the OS refuses writes, and the descriptor is read-only.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>The directory of named segments: null for <c>SHARR_DIR</c> if set, else <c>/dev/shm</c>.</summary>
    public string? Directory { get; init; }

    /// <summary>
    /// Accept a named segment whose mode gives group or other users access (ours are always 0600).
    /// Off by default: such a segment can be changed or replaced under us by another user.
    /// </summary>
    public bool AllowGroupOrOtherAccess { get; init; }

    /// <summary>
    /// How long to wait for a segment another process is creating or collecting at this instant.
    /// Five seconds by default.
    /// </summary>
    public TimeSpan Timeout
    {
        get => _timeout;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(Timeout));
            _timeout = value;
        }
    }
}
