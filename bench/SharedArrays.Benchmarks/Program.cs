using SharedArrays.Benchmarks;
using SharedArrays.Workers;

// The handoff and pool-start pools start this program again as their workers: serve the pool before
// anything else, and never parse a command line.
if (WorkerHost.IsWorkerProcess)
{
    return WorkerHost.Run(BenchWorkers.Functions);
}

return BenchProgram.Run(args);
