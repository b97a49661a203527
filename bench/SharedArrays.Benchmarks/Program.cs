using System.Globalization;
using SharedArrays.Benchmarks;
using SharedArrays.Benchmarks.Sync;
using SharedArrays.Workers;

// The handoff and pool-start pools start this program again as their workers: serve the pool before
// anything else, and never parse a command line.
if (WorkerHost.IsWorkerProcess)
{
    return WorkerHost.Run(BenchWorkers.Functions);
}

// The synchronisation benchmarks (issue #5) and their child processes:
//   dotnet run -c Release --project bench/SharedArrays.Benchmarks -- sync [--json] [--quick]
if (args is [var mode, ..] && mode.StartsWith("child-", StringComparison.Ordinal))
{
    return SyncChildren.Run(args);
}
if (args is ["sync", ..])
{
    CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
    return SyncBenchmarks.Run(args.Contains("--json"), args.Contains("--quick"));
}

return BenchProgram.Run(args);
