using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using SharedArrays.Benchmarks.Infrastructure;

namespace SharedArrays.Benchmarks.Comparisons;

/// <summary>
/// What the memory itself costs on this machine, measured in this process on a segment of the demo's
/// size: the floor each demo phase is held against.
/// </summary>
/// <param name="Create">SharedArray.Create of the segment (reserves and zeroes the pages), as the demo's create.</param>
/// <param name="FirstTouchSingle">A plain single-threaded fill of the fresh segment: every page is touched for the first time.</param>
/// <param name="Rewrite">Rewriting the same bytes, already mapped and faulted in, from all cores: the least any phase that writes the array can take.</param>
/// <param name="Scan">Reading the same bytes (a sum), already mapped, from all cores: the least a verification can take.</param>
/// <param name="Teardown">Disposing the segment: unmap and unlink, which frees the pages.</param>
internal sealed record FloorRun(int Run, double Create, double FirstTouchSingle, double Rewrite, double Scan, double Teardown)
{
    internal JsonObject ToJson() => new()
    {
        ["run"] = Run,
        ["create_seconds"] = Stats.Json(Create),
        ["first_touch_single_thread_seconds"] = Stats.Json(FirstTouchSingle),
        ["rewrite_all_cores_seconds"] = Stats.Json(Rewrite),
        ["scan_all_cores_seconds"] = Stats.Json(Scan),
        ["teardown_seconds"] = Stats.Json(Teardown),
    };

    /// <summary>Measures once on a fresh segment shaped as the demo's; the rewrite and scan are the median of three passes.</summary>
    internal static FloorRun Measure(long[] shape, string? directory, int run)
    {
        WarmUp();
        string name = $"{ShmGuard.Prefix}floor-{Environment.ProcessId}-{run}";
        long started = Stopwatch.GetTimestamp();
        SharedArray<double> array = SharedArray<double>.Create(name, shape, new SharedArrayCreateOptions { Directory = directory });
        double create;
        double firstTouch, rewrite, scan;
        try
        {
            array.AdviseHugePages(); // as the demo does: a no-op unless the tmpfs offers huge pages
            create = Stopwatch.GetElapsedTime(started).TotalSeconds;

            started = Stopwatch.GetTimestamp();
            foreach (Span<double> chunk in array.GetChunks())
            {
                chunk.Fill(42);
            }
            firstTouch = Stopwatch.GetElapsedTime(started).TotalSeconds;

            rewrite = Stats.Median(Enumerable.Range(0, 3).Select(i => Time(() => ParallelFill(array, i + 1))));
            double sum = 0;
            scan = Stats.Median(Enumerable.Range(0, 3).Select(_ => Time(() => sum = ParallelSum(array))));
            if (sum != 3.0 * array.Length)
            {
                throw new BenchException($"the floor's scan summed {sum}, expected {3.0 * array.Length}: the rewrite did not reach every element.");
            }
        }
        catch
        {
            array.Dispose();
            throw;
        }
        started = Stopwatch.GetTimestamp();
        array.Dispose();
        double teardown = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new FloorRun(run, create, firstTouch, rewrite, scan, teardown);
    }

    private static double Time(Action action)
    {
        long started = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>Pieces for all cores: a few per core so that a core slowed by other work does not hold the rest up.</summary>
    private static (long Start, int Length)[] Pieces(long length)
    {
        long count = Math.Max(1, Math.Min(length / 4096, Environment.ProcessorCount * 4L));
        count = Math.Max(count, (length + int.MaxValue - 1) / int.MaxValue);
        return Enumerable.Range(0, (int)count)
            .Select(i => (length * i / count, (int)(length * (i + 1) / count - length * i / count)))
            .ToArray();
    }

    private static void ParallelFill(SharedArray<double> array, double value)
    {
        var pieces = Pieces(array.Length);
        Parallel.For(0, pieces.Length, i => array.AsSpan(pieces[i].Start, pieces[i].Length).Fill(value));
    }

    private static double ParallelSum(SharedArray<double> array)
    {
        var pieces = Pieces(array.Length);
        double[] sums = new double[pieces.Length];
        Parallel.For(0, pieces.Length, i => sums[i] = TensorPrimitives.Sum<double>(array.AsSpan(pieces[i].Start, pieces[i].Length)));
        return sums.Sum();
    }

    /// <summary>The thread pool and the JIT warmed on a small array, so the floors measure memory, not start-up.</summary>
    private static void WarmUp()
    {
        using var small = SharedArray<double>.Create($"{ShmGuard.Prefix}warm-{Environment.ProcessId}", [1 << 16]);
        for (int i = 0; i < 3; i++)
        {
            ParallelFill(small, 3);
            ParallelSum(small);
        }
    }
}
