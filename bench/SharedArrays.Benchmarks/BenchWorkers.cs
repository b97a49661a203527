using SharedArrays.Workers;

namespace SharedArrays.Benchmarks;

/// <summary>
/// What the benchmark's worker processes run. They are this program started again by a
/// <see cref="WorkerPool"/>; <c>Program.cs</c> hands them these functions before any parsing.
/// </summary>
internal static class BenchWorkers
{
    /// <summary>Sums the array a handle names, attaching it once per worker and keeping it mapped (a warm pool).</summary>
    internal const string Sum = "sum";

    /// <summary>Sums the array a handle names, opening and closing it on every call (a pool that attaches per item).</summary>
    internal const string SumAttachEachTime = "sum-attach";

    /// <summary>Arrays this worker has attached, by handle: a warm worker maps each array once, as a pool initializer would.</summary>
    private static readonly Dictionary<string, SharedArray<double>> s_attached = new(StringComparer.Ordinal);

    private static readonly SharedArrayOpenOptions s_readOnly = new() { ReadOnly = true };

    internal static WorkerFunctions Functions { get; } = new WorkerFunctions()
        .Add<SharedArrayHandle, double>(Sum, handle =>
        {
            string key = handle.ToString();
            if (!s_attached.TryGetValue(key, out SharedArray<double>? array))
            {
                array = SharedArray<double>.Open(handle, s_readOnly);
                s_attached.Add(key, array);
            }
            return ArrayStatistics.Compute(array).Sum;
        })
        .Add<SharedArrayHandle, double>(SumAttachEachTime, handle =>
        {
            using SharedArray<double> array = SharedArray<double>.Open(handle, s_readOnly);
            return ArrayStatistics.Compute(array).Sum;
        });
}
