using SharedArrays.Cli;
using SharedArrays.Cli.Commands;
using SharedArrays.Workers;

// A worker of `sharr demo`'s pool is sharr started again: serve the pool, never parse a command.
if (WorkerHost.IsWorkerProcess)
{
    return WorkerHost.Run(DemoWorkers.Functions);
}

// Exit codes: 0 success, 1 usage error, 2 runtime error (one line on stderr).
return Sharr.Run(args);
