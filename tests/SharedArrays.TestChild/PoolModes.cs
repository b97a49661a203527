using System.Globalization;
using SharedArrays;
using SharedArrays.Workers;

/// <summary>
/// The test child as a worker-pool program: the work functions the pool tests run, and the
/// <c>pool-host N</c> mode, a parent that starts a pool of N workers (this program again), prints
/// their PIDs on one line, and waits on stdin, so that a test can kill it and watch its workers go.
/// </summary>
internal static class PoolModes
{
    private static SharedArray<double>? s_attached;

    internal static WorkerFunctions Functions { get; } = new WorkerFunctions()
        .Add<long, long>("square", x => x * x)
        .Add<int, int>("pid", _ => Environment.ProcessId)
        .Add<string, int>("throw", message => Thrower.Throw(message))
        .Add<int, int>("exit", code =>
        {
            Environment.Exit(code);
            return 0;
        })
        .Add<SharedArrayHandle, int>("report-then-sleep", (handle, cancellationToken) =>
        {
            // Tells the test which worker runs the item, then waits to be killed or cancelled.
            using (var slot = SharedArray<long>.Open(handle))
            {
                Interlocked.Exchange(ref slot[0], Environment.ProcessId);
            }
            cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(60));
            return cancellationToken.IsCancellationRequested ? -1 : Environment.ProcessId;
        })
        .AddInitializer<SharedArrayHandle>("attach", handle => s_attached = SharedArray<double>.Open(handle))
        .AddInitializer<string>("fail-init", message => throw new InvalidOperationException(message))
        .AddInitializer<string>("init-unless", marker =>
        {
            if (File.Exists(marker))
            {
                throw new InvalidOperationException("the marker file exists: this worker may not start");
            }
        })
        .AddInitializer<int>("init-hang", _ => Thread.Sleep(Timeout.Infinite))
        .Add<long[], int>("fill-rows", rows =>
        {
            using SharedArray<double> view = s_attached!.Rows(rows[0], rows[1]);
            view.Fill(Environment.ProcessId);
            return Environment.ProcessId;
        })
        .Add<SharedArrayHandle, double>("sum", handle =>
        {
            using SharedArray array = SharedArray.Open(handle, new SharedArrayOpenOptions { ReadOnly = true });
            return ArrayStatistics.Compute(array).Sum;
        })
        .Add<string[], string>("join", parts => string.Join('+', parts));

    internal static int Host(int workers)
    {
        using WorkerPool pool = WorkerPool.Start(new WorkerPoolOptions { Workers = workers });
        Console.WriteLine(string.Join(' ', pool.WorkerPids.Select(p => p.ToString(CultureInfo.InvariantCulture))));
        Console.Out.Flush();
        Console.In.ReadToEnd();
        return 0;
    }

    private static class Thrower
    {
        // A named frame, so that the test can find it in the remote stack trace.
        internal static int Throw(string message) => throw new InvalidOperationException(message);
    }
}
