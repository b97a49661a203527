namespace SharedArrays.Workers;

/// <summary>How a <see cref="WorkerPool"/> starts its workers.</summary>
public sealed record WorkerPoolOptions
{
    /// <summary>The number of worker processes (default: the number of processors).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Runs once in every worker, replacements included, before its first item.</summary>
    public WorkerInitializer? Initializer { get; init; }

    /// <summary>
    /// The program to start as a worker. Default: this program again, exactly as it was started
    /// (<c>dotnet app.dll</c> under <c>dotnet run</c> or a framework-dependent app, the native executable of
    /// a NativeAOT app). Its <c>Main</c> must call <see cref="WorkerHost.Run"/> when
    /// <see cref="WorkerHost.IsWorkerProcess"/> is true.
    /// </summary>
    public string? WorkerExecutable { get; init; }

    /// <summary>Arguments for <see cref="WorkerExecutable"/> (ignored when it is null).</summary>
    public IReadOnlyList<string> WorkerArguments { get; init; } = [];

    /// <summary>Extra environment variables for the workers.</summary>
    public IReadOnlyDictionary<string, string> WorkerEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long a worker may take to start, connect and initialise (default 60 s).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long <see cref="WorkerPool.Dispose"/> lets workers finish before it kills them (default 5 s).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>A registered initializer and its argument, encoded once for every worker.</summary>
public sealed class WorkerInitializer
{
    private WorkerInitializer(string name, byte[] argument)
    {
        Name = name;
        Argument = argument;
    }

    /// <summary>The initializer's registered name.</summary>
    public string Name { get; }

    internal byte[] Argument { get; }

    /// <summary>Names a registered initializer (see <see cref="WorkerFunctions.AddInitializer"/>) and its argument.</summary>
    public static WorkerInitializer Create<TArg>(string name, TArg argument)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!WorkerCodec<TArg>.IsSupported)
        {
            throw WorkerCodec<TArg>.Unsupported();
        }
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            WorkerCodec<TArg>.Write(writer, argument);
        }
        return new WorkerInitializer(name, stream.ToArray());
    }
}

/// <summary>Progress of a <see cref="WorkerPool.MapAsync"/>: one report per finished item.</summary>
/// <param name="Completed">Items finished so far (successfully or not).</param>
/// <param name="Total">Items in the map.</param>
/// <param name="ItemIndex">The item that just finished.</param>
/// <param name="WorkerPid">The worker that ran it.</param>
/// <param name="Failed">True if it failed.</param>
public readonly record struct WorkerProgress(long Completed, long Total, long ItemIndex, int WorkerPid, bool Failed);
