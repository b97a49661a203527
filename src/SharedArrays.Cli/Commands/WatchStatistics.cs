using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace SharedArrays.Cli.Commands;

/// <summary>Count, mean, standard deviation, min and max of one consistent state of an array, for <c>sharr watch</c>.</summary>
internal readonly record struct WatchStatistics(long Count, double Mean, double? Std, double? Min, double? Max)
{
    private const int Block = 1 << 16;

    /// <summary>
    /// The library's vectorised statistics, plus the population standard deviation (numpy's <c>std()</c>)
    /// in a second pass over the deviations from the mean. Complex arrays have no std, min or max here.
    /// </summary>
    internal static WatchStatistics Compute(SharedArray array)
    {
        ArrayStatistics stats = ArrayStatistics.Compute(array);
        double? squares = array.DType switch
        {
            DType.Bool => BoolSquaredDeviations(array, stats.Mean),
            DType.UInt8 => SquaredDeviations<byte>(array, stats.Mean),
            DType.Int8 => SquaredDeviations<sbyte>(array, stats.Mean),
            DType.Int16 => SquaredDeviations<short>(array, stats.Mean),
            DType.UInt16 => SquaredDeviations<ushort>(array, stats.Mean),
            DType.Int32 => SquaredDeviations<int>(array, stats.Mean),
            DType.UInt32 => SquaredDeviations<uint>(array, stats.Mean),
            DType.Int64 => SquaredDeviations<long>(array, stats.Mean),
            DType.UInt64 => SquaredDeviations<ulong>(array, stats.Mean),
            DType.Float16 => SquaredDeviations<Half>(array, stats.Mean),
            DType.Float32 => SquaredDeviations<float>(array, stats.Mean),
            DType.Float64 => SquaredDeviations<double>(array, stats.Mean),
            _ => null,
        };
        double? std = squares is { } s && stats.Count > 0 ? Math.Sqrt(s / stats.Count) : null;
        return new WatchStatistics(stats.Count, stats.Mean, std, stats.Min, stats.Max);
    }

    private static double SquaredDeviations<T>(SharedArray array, double mean) where T : unmanaged, INumberBase<T>
    {
        using SharedArray<T> typed = array.As<T>();
        double[] scratch = new double[Block];
        double sum = 0;
        foreach (ReadOnlySpan<T> chunk in typed.GetReadOnlyChunks(Block))
        {
            sum += Deviations(chunk, mean, scratch);
        }
        return sum;
    }

    /// <summary>A bool array is read as its bytes, 0 and 1, as numpy's <c>std()</c> does.</summary>
    private static double BoolSquaredDeviations(SharedArray array, double mean)
    {
        using SharedArray<bool> typed = array.As<bool>();
        double[] scratch = new double[Block];
        double sum = 0;
        foreach (ReadOnlySpan<bool> chunk in typed.GetReadOnlyChunks(Block))
        {
            sum += Deviations(MemoryMarshal.Cast<bool, byte>(chunk), mean, scratch);
        }
        return sum;
    }

    private static double Deviations<T>(ReadOnlySpan<T> chunk, double mean, double[] scratch) where T : unmanaged, INumberBase<T>
    {
        Span<double> values = scratch.AsSpan(0, chunk.Length);
        TensorPrimitives.ConvertTruncating<T, double>(chunk, values);
        TensorPrimitives.Subtract(values, mean, values);
        return TensorPrimitives.SumOfSquares<double>(values);
    }
}
