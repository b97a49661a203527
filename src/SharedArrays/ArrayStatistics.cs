using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace SharedArrays;

/// <summary>
/// Count, sum, mean, minimum and maximum of an array, computed in one vectorised pass over all cores.
/// Sums accumulate in double (exact for integers below 2^53). For complex arrays the sum and mean are
/// complex (<see cref="SumImaginary"/>) and there is no order, so <see cref="Min"/> and <see cref="Max"/> are null.
/// NaN anywhere makes the sum, mean, min and max NaN, as in numpy.
/// </summary>
public readonly record struct ArrayStatistics(long Count, double Sum, double Mean, double? Min, double? Max, double SumImaginary = 0)
{
    private const int Block = 1 << 16;

    /// <summary>Computes the statistics of an array or view of any element type.</summary>
    public static ArrayStatistics Compute(SharedArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        return array.DType switch
        {
            DType.Bool => Real<byte>(array),
            DType.Int8 => Real<sbyte>(array),
            DType.UInt8 => Real<byte>(array),
            DType.Int16 => Real<short>(array),
            DType.UInt16 => Real<ushort>(array),
            DType.Int32 => Real<int>(array),
            DType.UInt32 => Real<uint>(array),
            DType.Int64 => Real<long>(array),
            DType.UInt64 => Real<ulong>(array),
            DType.Float16 => Real<Half>(array),
            DType.Float32 => Real<float>(array),
            DType.Float64 => Real<double>(array),
            DType.Complex64 => Complex<float>(array),
            DType.Complex128 => Complex<double>(array),
            _ => throw new NotSupportedException($"No statistics for {array.DType}."),
        };
    }

    private readonly record struct Partial(double Sum, double Min, double Max, double SumImaginary)
    {
        internal static Partial Empty => new(0, double.PositiveInfinity, double.NegativeInfinity, 0);

        internal Partial Merge(Partial other) =>
            new(Sum + other.Sum, MinOf(Min, other.Min), MaxOf(Max, other.Max), SumImaginary + other.SumImaginary);

        // Math.Min/Max propagate NaN, as numpy's min/max do.
        private static double MinOf(double a, double b) => Math.Min(a, b);

        private static double MaxOf(double a, double b) => Math.Max(a, b);
    }

    private static ArrayStatistics Real<T>(SharedArray array) where T : unmanaged, INumberBase<T>
    {
        Partial total = Reduce<T>(array, static (span, scratch) =>
        {
            ReadOnlySpan<double> values;
            if (typeof(T) == typeof(double))
            {
                values = MemoryMarshal.Cast<T, double>(span);
            }
            else
            {
                TensorPrimitives.ConvertTruncating<T, double>(span, scratch);
                values = scratch[..span.Length];
            }
            return new Partial(TensorPrimitives.Sum(values), TensorPrimitives.Min(values), TensorPrimitives.Max(values), 0);
        });
        long count = array.Length;
        return new ArrayStatistics(count, total.Sum, count == 0 ? double.NaN : total.Sum / count,
            count == 0 ? null : total.Min, count == 0 ? null : total.Max);
    }

    private static ArrayStatistics Complex<TPart>(SharedArray array) where TPart : unmanaged, INumberBase<TPart>
    {
        // A complex array is viewed as pairs of parts; each chunk is split into real and imaginary sums.
        Partial total = Reduce<TPart>(array, static (span, scratch) =>
        {
            double re = 0, im = 0;
            for (int i = 0; i + 1 < span.Length; i += 2)
            {
                re += double.CreateTruncating(span[i]);
                im += double.CreateTruncating(span[i + 1]);
            }
            return new Partial(re, double.PositiveInfinity, double.NegativeInfinity, im);
        }, partsPerElement: 2);
        long count = array.Length;
        return new ArrayStatistics(count, total.Sum, count == 0 ? double.NaN : total.Sum / count, null, null, total.SumImaginary);
    }

    private delegate Partial BlockReducer<T>(ReadOnlySpan<T> block, Span<double> scratch);

    private static unsafe Partial Reduce<T>(SharedArray array, BlockReducer<T> reduce, int partsPerElement = 1) where T : unmanaged
    {
        List<(nint Address, long Length)> blocks = Blocks<T>(array, partsPerElement);
        object gate = new();
        Partial total = Partial.Empty;
        if (blocks.Count == 0)
        {
            return total;
        }
        Parallel.ForEach(
            Partition(blocks.Count),
            () => Partial.Empty,
            (range, _, local) =>
            {
                double[] scratch = new double[Block];
                for (int i = range.Item1; i < range.Item2; i++)
                {
                    var span = new ReadOnlySpan<T>((void*)blocks[i].Address, (int)blocks[i].Length);
                    local = local.Merge(reduce(span, scratch));
                }
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    total = total.Merge(local);
                }
            });
        return total;
    }

    /// <summary>
    /// Counts each distinct value, as numpy's <c>np.unique(a, return_counts=True)</c> does, on all cores.
    /// Runs of equal values are measured with a vectorised search for the next different element, so
    /// arrays of few values in long runs (labels, masks, results written chunk by chunk) go at memory speed;
    /// any array gives the exact counts. Values are keys by <see cref="IEquatable{T}"/> (NaN counts as one value).
    /// </summary>
    public static unsafe IReadOnlyDictionary<T, long> CountValues<T>(SharedArray<T> array) where T : unmanaged, IEquatable<T>
    {
        ArgumentNullException.ThrowIfNull(array);
        List<(nint Address, long Length)> blocks = Blocks<T>(array, 1);
        var total = new Dictionary<T, long>();
        Parallel.ForEach(
            Partition(blocks.Count),
            () => new Dictionary<T, long>(),
            (range, state, local) =>
            {
                for (int i = range.Item1; i < range.Item2; i++)
                {
                    var span = new ReadOnlySpan<T>((void*)blocks[i].Address, (int)blocks[i].Length);
                    while (!span.IsEmpty)
                    {
                        T value = span[0];
                        int run = span.IndexOfAnyExcept(value);
                        run = run < 0 ? span.Length : Math.Max(run, 1); // at least 1: NaN is not == itself
                        ref long count = ref CollectionsMarshal.GetValueRefOrAddDefault(local, value, out _);
                        count += run;
                        span = span[run..];
                    }
                }
                return local;
            },
            local =>
            {
                lock (total)
                {
                    foreach (var (value, count) in local)
                    {
                        CollectionsMarshal.GetValueRefOrAddDefault(total, value, out _) += count;
                    }
                }
            });
        return total;
    }

    private static System.Collections.Concurrent.OrderablePartitioner<Tuple<int, int>> Partition(int count) =>
        System.Collections.Concurrent.Partitioner.Create(0, count, Math.Max(1, count / (Environment.ProcessorCount * 4)));

    /// <summary>
    /// The view's element runs cut into blocks of at most <see cref="Block"/> parts, to spread over all
    /// cores. Only the element runs are listed: strided views work too.
    /// </summary>
    private static unsafe List<(nint Address, long Length)> Blocks<T>(SharedArray array, int partsPerElement) where T : unmanaged
    {
        var blocks = new List<(nint Address, long Length)>();
        byte* origin = array.Segment.Data + array.Offset * array.ItemSize;
        var cursor = new RunCursor(array.ShapeArray, array.StridesArray, 0, int.MaxValue);
        while (cursor.Next(out long offset, out int length))
        {
            long parts = (long)length * partsPerElement;
            for (long start = 0; start < parts; start += Block)
            {
                blocks.Add(((nint)(origin + offset * array.ItemSize + start * sizeof(T)), Math.Min(Block, parts - start)));
            }
        }
        return blocks;
    }
}
