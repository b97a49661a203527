using SharedArrays.Workers;

namespace SharedArrays.Cli.Commands;

/// <summary>
/// What <c>sharr demo</c>'s worker processes run. Workers are sharr itself, started again by the pool;
/// <c>Program.cs</c> hands them to <see cref="WorkerHost.Run"/> before any command parsing.
/// </summary>
internal static class DemoWorkers
{
    internal const string Attach = "demo-attach";
    internal const string FillChunk = "demo-fill-chunk";

    /// <summary>The demo's array, attached once per worker by the initializer.</summary>
    private static SharedArray<double>? s_array;

    internal static WorkerFunctions Functions { get; } = new WorkerFunctions()
        .AddInitializer<SharedArrayHandle>(Attach, handle => s_array = SharedArray<double>.Open(handle))
        .Add<long[], int>(FillChunk, rows =>
        {
            SharedArray<double> array = s_array ?? throw new InvalidOperationException("The demo array is not attached.");
            int pid = Environment.ProcessId;
            using SharedArray<double> chunk = array.Rows(rows[0], rows[1]);
            // Map the chunk's pages in one call, then write: the fill itself then takes no page faults.
            chunk.Prefault(forWriting: true);
            chunk.Fill(pid);
            return pid;
        });
}
