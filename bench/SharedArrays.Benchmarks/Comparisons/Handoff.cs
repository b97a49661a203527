using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharedArrays.Benchmarks.Infrastructure;
using SharedArrays.Workers;

namespace SharedArrays.Benchmarks.Comparisons;

/// <summary>
/// <c>handoff</c>: what it costs to give a worker process an array. A warm pool of this program's workers
/// sums a shared array it is handed by handle; the same sum is done in this process; Python hands the
/// same array (its bytes) to a warm worker through <c>multiprocessing.Queue</c>
/// (bench/python/queue_handoff.py). The three alternate, round after round.
/// Goals of the issue: the pool's hand-off (pool time minus the in-process sum) costs less than half the
/// sum itself, and the pool is at least 20x faster than the Queue.
/// </summary>
internal static class Handoff
{
    /// <summary>
    /// Calls of each kind per round, interleaved: one call takes ~10 ms, so a round of ten gives a steady
    /// median where a single call would mostly measure the other work on this shared machine.
    /// </summary>
    private const int CallsPerRound = 10;

    internal static void Run(BenchOptions options, Report report, Action<string> log)
    {
        long n = options.HandoffBytes / sizeof(double);
        double expected = (double)n * (n - 1) / 2; // a[i] = i, as queue_handoff.py's np.arange; exact below 2^53
        string[] pythonArguments =
        [
            Tools.PythonScript("queue_handoff.py"), "--bytes", (n * sizeof(double)).ToString(CultureInfo.InvariantCulture), "--repeat", CallsPerRound.ToString(CultureInfo.InvariantCulture), "--warmup", "1",
        ];
        report.Line($"array: {Stats.Count(n)} float64 ({Stats.Bytes(n * sizeof(double))}), a[i] = i; {options.Workers} workers; " +
            $"{options.Repeat} rounds, each: {CallsPerRound} x (in-process sum, warm pool sum, pool sum attaching per call), then a Python run of {CallsPerRound} Queue hand-offs; medians over all calls");
        report.Line("ours: pool.RunAsync<SharedArrayHandle, double>(\"sum\", array.Handle) against ArrayStatistics.Compute(array).Sum in this process");
        report.Line($"python: {options.Python} {string.Join(' ', pythonArguments)}   (warm forked worker; put(array) to get(sum))");
        report.Line("memory: hot: the array is filled before timing, every worker has attached it and summed it during the warm-up " +
            "(\"sum-attach\" opens and maps it again on every call, so its page tables are cold each time); Python's worker is forked and warmed by one transfer.");
        report.Json["bytes"] = n * sizeof(double);
        report.Json["elements"] = n;
        report.Json["workers"] = options.Workers;
        report.Json["memory"] = "hot (filled, attached and summed once by every worker before timing); sum-attach re-maps per call";

        string name = $"{ShmGuard.Prefix}handoff-{Environment.ProcessId}";
        using SharedArray<double> array = SharedArray<double>.Create(name, [n], new SharedArrayCreateOptions { Directory = options.Directory });
        FillWithIndex(array);
        SharedArrayHandle handle = array.Handle;

        log($"handoff: starting a pool of {options.Workers} workers");
        using WorkerPool pool = WorkerPool.Start(new WorkerPoolOptions
        {
            Workers = options.Workers,
            // Workers open the handle's name in the same directory as this process created it.
            WorkerEnvironment = new Dictionary<string, string> { ["SHARR_DIR"] = SharedArray.ResolveDirectory(options.Directory) },
        });
        // Warm every worker: a batch of items spread over the pool, so that each attaches the array and
        // JIT-compiles the sum; then the in-process sum, for the same reason.
        for (int warm = 0; warm < 3; warm++)
        {
            double[] sums = pool.Map<SharedArrayHandle, double>(BenchWorkers.Sum, Enumerable.Repeat(handle, options.Workers * 4));
            foreach (double s in sums)
            {
                CheckSum(report, "warm-up pool sum", s, expected);
            }
            CheckSum(report, "warm-up in-process sum", ArrayStatistics.Compute(array).Sum, expected);
        }
        pool.Map<SharedArrayHandle, double>(BenchWorkers.SumAttachEachTime, Enumerable.Repeat(handle, options.Workers * 2));

        var inProcess = new List<double>();
        var warmPool = new List<double>();
        var attachPool = new List<double>();
        var queue = new List<double>();
        var numpySum = new List<double>();
        var rounds = new List<double[]>();
        for (int round = 1; round <= options.Repeat; round++)
        {
            int first = inProcess.Count, firstQueue = queue.Count;
            for (int call = 0; call < CallsPerRound; call++)
            {
                inProcess.Add(Time(report, "in-process sum", expected, () => ArrayStatistics.Compute(array).Sum));
                warmPool.Add(Time(report, "pool sum", expected, () => pool.RunAsync<SharedArrayHandle, double>(BenchWorkers.Sum, handle).GetAwaiter().GetResult()));
                attachPool.Add(Time(report, "pool sum-attach", expected, () => pool.RunAsync<SharedArrayHandle, double>(BenchWorkers.SumAttachEachTime, handle).GetAwaiter().GetResult()));
            }
            ChildResult python = Children.RunChecked(options.Python, pythonArguments, options.Timeout);
            using (JsonDocument document = JsonDocument.Parse(python.Stdout))
            {
                queue.AddRange(document.RootElement.GetProperty("queue_seconds").EnumerateArray().Select(e => e.GetDouble()));
                numpySum.AddRange(document.RootElement.GetProperty("numpy_sum_seconds").EnumerateArray().Select(e => e.GetDouble()));
            }
            double[] medians =
            [
                Stats.Median(inProcess.Skip(first)), Stats.Median(warmPool.Skip(first)), Stats.Median(attachPool.Skip(first)),
                Stats.Median(queue.Skip(firstQueue)), Stats.Median(numpySum.Skip(firstQueue)),
            ];
            rounds.Add(medians);
            log($"handoff: round {round}/{options.Repeat} (medians of {CallsPerRound}): in-process {Stats.Seconds(medians[0])}, pool {Stats.Seconds(medians[1])}, " +
                $"pool attaching {Stats.Seconds(medians[2])}, Python Queue {Stats.Seconds(medians[3])}");
        }

        report.Json["calls_per_round"] = CallsPerRound;
        report.Json["runs"] = new JsonObject
        {
            ["in_process_sum_seconds"] = Stats.JsonArray(inProcess),
            ["pool_sum_seconds"] = Stats.JsonArray(warmPool),
            ["pool_sum_attach_each_call_seconds"] = Stats.JsonArray(attachPool),
            ["python_queue_seconds"] = Stats.JsonArray(queue),
            ["numpy_sum_in_process_seconds"] = Stats.JsonArray(numpySum),
        };
        report.Line();
        report.Line($"medians per round ({CallsPerRound} calls each) and over all {inProcess.Count} calls:");
        report.Table(["round", "in-process sum", "pool sum", "pool, attach per call", "Python Queue", "(numpy sum in-process)"],
            rounds.Select((r, i) => (string[])[(i + 1).ToString(CultureInfo.InvariantCulture), .. r.Select(Stats.Seconds)]));
        double sum = Stats.Median(inProcess), viaPool = Stats.Median(warmPool), viaAttach = Stats.Median(attachPool);
        double viaQueue = Stats.Median(queue), numpy = Stats.Median(numpySum);
        double overhead = viaPool - sum, attachOverhead = viaAttach - sum;
        report.Table(["all calls", "in-process sum", "pool sum", "pool, attach per call", "Python Queue", "(numpy sum in-process)"],
            [["median", Stats.Seconds(sum), Stats.Seconds(viaPool), Stats.Seconds(viaAttach), Stats.Seconds(viaQueue), Stats.Seconds(numpy)]]);
        report.Line($"hand-off overhead (pool minus in-process sum): warm pool {Stats.Seconds(overhead)} ({overhead / sum:P0} of the sum), " +
            $"attaching per call {Stats.Seconds(attachOverhead)} ({attachOverhead / sum:P0}); Python Queue minus numpy's sum {Stats.Seconds(viaQueue - numpy)}" +
            (overhead < 0 ? " (a negative overhead means the hand-off is below what this machine's noise lets us resolve)" : ""));
        report.Json["median"] = new JsonObject
        {
            ["in_process_sum_seconds"] = Stats.Json(sum),
            ["pool_sum_seconds"] = Stats.Json(viaPool),
            ["pool_sum_attach_each_call_seconds"] = Stats.Json(viaAttach),
            ["python_queue_seconds"] = Stats.Json(viaQueue),
            ["numpy_sum_in_process_seconds"] = Stats.Json(numpy),
            ["handoff_overhead_seconds"] = Stats.Json(overhead),
            ["handoff_overhead_attach_each_call_seconds"] = Stats.Json(attachOverhead),
            ["python_queue_overhead_seconds"] = Stats.Json(viaQueue - numpy),
        };
        report.Json["ratios"] = new JsonObject
        {
            ["overhead_over_sum"] = Stats.Json(overhead / sum),
            ["overhead_attach_each_call_over_sum"] = Stats.Json(attachOverhead / sum),
            ["queue_over_pool"] = Stats.Json(viaQueue / viaPool),
            ["queue_over_pool_attach_each_call"] = Stats.Json(viaQueue / viaAttach),
        };
        report.Line();
        report.Goal("the pool's hand-off costs less than half the sum itself", overhead < sum / 2,
            $"overhead {Stats.Seconds(overhead)} vs sum {Stats.Seconds(sum)}: {overhead / sum:P0}; attaching per call: {attachOverhead / sum:P0}");
        report.Goal("the pool is at least 20x faster than multiprocessing.Queue", viaQueue >= 20 * viaPool,
            $"Queue {Stats.Seconds(viaQueue)} / pool {Stats.Seconds(viaPool)} = {Stats.Ratio(viaQueue / viaPool)}; attaching per call: {Stats.Ratio(viaQueue / viaAttach)}");
    }

    private static double Time(Report report, string what, double expected, Func<double> sum)
    {
        long started = Stopwatch.GetTimestamp();
        double result = sum();
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        CheckSum(report, what, result, expected);
        return seconds;
    }

    private static void CheckSum(Report report, string what, double actual, double expected)
    {
        if (actual != expected)
        {
            report.Wrong($"{what} gave {actual}, expected {expected}");
        }
    }

    private static void FillWithIndex(SharedArray<double> array)
    {
        long offset = 0;
        foreach (Span<double> chunk in array.GetChunks())
        {
            for (int i = 0; i < chunk.Length; i++)
            {
                chunk[i] = offset + i;
            }
            offset += chunk.Length;
        }
    }
}
