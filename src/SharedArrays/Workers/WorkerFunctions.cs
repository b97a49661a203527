namespace SharedArrays.Workers;

/// <summary>
/// The work functions a pool may run, by name. The same program registers the same functions in the
/// parent and in every worker (workers are the program itself, started again), so a name is all that
/// crosses the process boundary: no reflection over method tokens, which keeps NativeAOT and trimming
/// working.
/// </summary>
/// <example>
/// <code>
/// static SharedArray&lt;double&gt;? s_array; // per worker process
///
/// var functions = new WorkerFunctions()
///     .AddInitializer&lt;SharedArrayHandle&gt;("attach", handle => s_array = SharedArray&lt;double&gt;.Open(handle))
///     .Add&lt;long, int&gt;("fill-row", row => { s_array!.Rows(row, 1).Fill(Environment.ProcessId); return Environment.ProcessId; });
/// if (WorkerHost.IsWorkerProcess)
/// {
///     return WorkerHost.Run(functions); // never returns to the rest of Main
/// }
/// </code>
/// </example>
public sealed class WorkerFunctions
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    internal abstract class Entry
    {
        internal abstract bool IsInitializer { get; }

        /// <summary>Reads the argument, runs the function, writes the result.</summary>
        internal abstract void Invoke(BinaryReader argument, BinaryWriter result, CancellationToken cancellationToken);
    }

    private sealed class Function<TArg, TResult>(Func<TArg, CancellationToken, TResult> function) : Entry
    {
        internal override bool IsInitializer => false;

        internal override void Invoke(BinaryReader argument, BinaryWriter result, CancellationToken cancellationToken) =>
            WorkerCodec<TResult>.Write(result, function(WorkerCodec<TArg>.Read(argument), cancellationToken));
    }

    private sealed class Initializer<TArg>(Action<TArg> initializer) : Entry
    {
        internal override bool IsInitializer => true;

        internal override void Invoke(BinaryReader argument, BinaryWriter result, CancellationToken cancellationToken) =>
            initializer(WorkerCodec<TArg>.Read(argument));
    }

    /// <summary>Registers a work function. Argument and result: see <see cref="WorkerPool"/> for the types that can cross.</summary>
    public WorkerFunctions Add<TArg, TResult>(string name, Func<TArg, TResult> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Add<TArg, TResult>(name, (arg, _) => function(arg));
    }

    /// <summary>Registers a work function that observes cancellation of the item it runs.</summary>
    public WorkerFunctions Add<TArg, TResult>(string name, Func<TArg, CancellationToken, TResult> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        CheckSupported<TArg>();
        CheckSupported<TResult>();
        return AddEntry(name, new Function<TArg, TResult>(function));
    }

    /// <summary>
    /// Registers a per-worker initializer: it runs once in each worker before its first item (and again in
    /// a replacement worker), typically to attach shared arrays once rather than per item.
    /// </summary>
    public WorkerFunctions AddInitializer<TArg>(string name, Action<TArg> initializer)
    {
        ArgumentNullException.ThrowIfNull(initializer);
        CheckSupported<TArg>();
        return AddEntry(name, new Initializer<TArg>(initializer));
    }

    /// <summary>The registered names.</summary>
    public IEnumerable<string> Names => _entries.Keys;

    internal Entry Get(string name, bool initializer)
    {
        if (!_entries.TryGetValue(name, out Entry? entry) || entry.IsInitializer != initializer)
        {
            throw new KeyNotFoundException(
                $"No {(initializer ? "initializer" : "work function")} named '{name}' is registered. Register it with " +
                $"WorkerFunctions.{(initializer ? "AddInitializer" : "Add")} in the code that both the parent and the workers run.");
        }
        return entry;
    }

    internal bool Contains(string name, bool initializer) => _entries.TryGetValue(name, out Entry? e) && e.IsInitializer == initializer;

    private WorkerFunctions AddEntry(string name, Entry entry)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_entries.TryAdd(name, entry))
        {
            throw new ArgumentException($"A function named '{name}' is already registered.", nameof(name));
        }
        return this;
    }

    private static void CheckSupported<T>()
    {
        if (!WorkerCodec<T>.IsSupported)
        {
            throw WorkerCodec<T>.Unsupported();
        }
    }
}
