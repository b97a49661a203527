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
        object gate = new();
        Partial total = Partial.Empty;
        ForEachBlock<T, (Partial Sum, double[] Scratch)>(array, partsPerElement,
            static () => (Partial.Empty, new double[Block]),
            (block, local) => (local.Sum.Merge(reduce(block, local.Scratch)), local.Scratch),
            local =>
            {
                lock (gate)
                {
                    total = total.Merge(local.Sum);
                }
            });
        return total;
    }

    /// <summary>
    /// Counts each distinct value, as numpy's <c>np.unique(a, return_counts=True)</c> does, on all cores.
    /// Runs of equal values are measured with a vectorised search for the next element whose bits differ,
    /// so arrays of few values in long runs (labels, masks, results written chunk by chunk) go at memory
    /// speed; any array gives the exact counts. Values are keys by <see cref="IEquatable{T}"/>: NaN counts
    /// as one value, and 0.0 and -0.0 as one.
    /// </summary>
    public static IReadOnlyDictionary<T, long> CountValues<T>(SharedArray<T> array) where T : unmanaged, IEquatable<T>
    {
        ArgumentNullException.ThrowIfNull(array);
        var total = new Dictionary<T, long>();
        ForEachBlock<T, Dictionary<T, long>>(array, 1,
            static () => new Dictionary<T, long>(),
            static (block, local) =>
            {
                while (!block.IsEmpty)
                {
                    int run = RunLength(block);
                    CollectionsMarshal.GetValueRefOrAddDefault(local, block[0], out _) += run;
                    block = block[run..];
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

    /// <summary>
    /// How many leading elements have exactly the first one's bits (at least one). Comparing bits rather
    /// than values keeps the search vectorised for floating point too; runs it splits (NaN payloads, -0.0)
    /// merge again as dictionary keys.
    /// </summary>
    private static unsafe int RunLength<T>(ReadOnlySpan<T> block) where T : unmanaged
    {
        int run = sizeof(T) switch
        {
            1 => IndexOfOtherBits(MemoryMarshal.Cast<T, byte>(block)),
            2 => IndexOfOtherBits(MemoryMarshal.Cast<T, ushort>(block)),
            4 => IndexOfOtherBits(MemoryMarshal.Cast<T, uint>(block)),
            8 => IndexOfOtherBits(MemoryMarshal.Cast<T, ulong>(block)),
            _ => IndexOfOtherBits(MemoryMarshal.Cast<T, ulong>(block), sizeof(T) / sizeof(ulong)),
        };
        return run < 0 ? block.Length : Math.Max(run, 1);
    }

    private static int IndexOfOtherBits<TBits>(ReadOnlySpan<TBits> bits) where TBits : unmanaged, IEquatable<TBits> =>
        bits.IndexOfAnyExcept(bits[0]);

    /// <summary>Element index of the first element (of <paramref name="words"/> ulongs each) unlike the first.</summary>
    private static int IndexOfOtherBits(ReadOnlySpan<ulong> bits, int words)
    {
        ReadOnlySpan<ulong> first = bits[..words];
        for (int i = words; i < bits.Length; i += words)
        {
            if (!bits.Slice(i, words).SequenceEqual(first))
            {
                return i / words;
            }
        }
        return -1;
    }

    /// <summary>
    /// Calls <paramref name="body"/> on every block of at most <see cref="Block"/> parts of the view's
    /// element runs, spread over all cores, without listing the blocks first: a view of 400 million
    /// two-element runs costs no memory. Contiguous views are one run cut into blocks; strided views are
    /// partitioned by run, and each run's address comes from its index.
    /// </summary>
    private static unsafe void ForEachBlock<T, TLocal>(SharedArray array, int partsPerElement,
        Func<TLocal> init, Func<ReadOnlySpan<T>, TLocal, TLocal> body, Action<TLocal> merge) where T : unmanaged
    {
        if (array.Length == 0)
        {
            return;
        }
        var runs = new RunLayout(array.ShapeArray, array.StridesArray);
        byte* origin = array.Segment.Data + array.Offset * array.ItemSize;
        long partsPerRun = runs.RunLength * partsPerElement;
        long blocksPerRun = (partsPerRun + Block - 1) / Block;
        long units = runs.Count * blocksPerRun; // one unit: one block of one run
        long perTask = Math.Max(1, units / (Environment.ProcessorCount * 4));
        Parallel.For(0, (units + perTask - 1) / perTask, init, (task, state, local) =>
        {
            long end = Math.Min(units, (task + 1) * perTask);
            for (long unit = task * perTask; unit < end; unit++)
            {
                long run = unit / blocksPerRun, start = unit % blocksPerRun * Block;
                T* first = (T*)(origin + runs.OffsetOf(run) * array.ItemSize) + start;
                local = body(new ReadOnlySpan<T>(first, (int)Math.Min(Block, partsPerRun - start)), local);
            }
            return local;
        }, merge);
    }

    /// <summary>A view as equal runs of contiguous elements: how long each is, and where run number r starts.</summary>
    private readonly struct RunLayout
    {
        private readonly long[] _outerShape;
        private readonly long[] _outerStrides;

        internal RunLayout(long[] shape, long[] strides)
        {
            long run = 1;
            int axis = shape.Length - 1;
            for (; axis >= 0 && (shape[axis] == 1 || strides[axis] == run); axis--)
            {
                run *= shape[axis];
            }
            RunLength = run;
            _outerShape = shape[..(axis + 1)];
            _outerStrides = strides[..(axis + 1)];
            Count = 1;
            foreach (long d in _outerShape)
            {
                Count *= d;
            }
        }

        internal long RunLength { get; }

        internal long Count { get; }

        /// <summary>The element offset of run <paramref name="run"/>, in C order of the outer axes.</summary>
        internal long OffsetOf(long run)
        {
            long offset = 0;
            for (int axis = _outerShape.Length - 1; axis >= 0; axis--)
            {
                offset += run % _outerShape[axis] * _outerStrides[axis];
                run /= _outerShape[axis];
            }
            return offset;
        }
    }
}
