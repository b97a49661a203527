using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests;

public class CountAndPrefaultTests
{
    [Fact]
    public void CountValues_matches_a_plain_count_for_runs_scattered_values_nan_and_signed_zero()
    {
        var random = new Random(7);
        double[] values = new double[300_000];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i < 100_000 ? 42 : i < 200_000 ? random.Next(0, 50) : i % 1000 == 0 ? double.NaN : i % 7 == 0 ? -0.0 : 0.0;
        }
        using var array = SharedArray<double>.From(Names.Unique("count"), values, [3, 100_000]);
        IReadOnlyDictionary<double, long> counts = ArrayStatistics.CountValues(array);
        var expected = values.GroupBy(v => v).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(expected.OrderBy(p => p.Key), counts.OrderBy(p => p.Key));
        Assert.Equal(values.Length, counts.Values.Sum());

        // A strided view counts only its own elements.
        using SharedArray<double> column = array.Slice(1, 5, 1);
        Assert.Equal(new Dictionary<double, long> { [42] = 1, [values[100_005]] = 1, [values[200_005]] = 1 }.OrderBy(p => p.Key),
            ArrayStatistics.CountValues(column).OrderBy(p => p.Key));
    }

    [Fact]
    public void CountValues_handles_empty_arrays_short_strided_runs_and_16_byte_elements()
    {
        using var empty = SharedArray<int>.Create(Names.Unique("countempty"), [0, 5]);
        Assert.Empty(ArrayStatistics.CountValues(empty));

        // Runs of two elements: every other pair of columns of a [50_000, 4] array.
        using var grid = SharedArray<int>.Create(Names.Unique("countgrid"), [50_000, 4]);
        for (long i = 0; i < 50_000; i++)
        {
            grid[i, 0] = 1;
            grid[i, 1] = (int)(i % 3);
            grid[i, 2] = 9;
            grid[i, 3] = 9;
        }
        using SharedArray<int> left = grid.Slice(1, 0, 2);
        var counts = ArrayStatistics.CountValues(left);
        Assert.Equal(50_000 + 16_667, counts[1]);
        Assert.Equal(16_667, counts[0]);
        Assert.Equal(16_666, counts[2]);
        Assert.False(counts.ContainsKey(9));
        Assert.Equal(ArrayStatistics.Compute(left).Sum, counts.Sum(p => (double)p.Key * p.Value));

        using var complex = SharedArray<System.Numerics.Complex>.Full(Names.Unique("countcx"), [1000], new System.Numerics.Complex(1, -1));
        complex[500] = new System.Numerics.Complex(1, 1);
        var cx = ArrayStatistics.CountValues(complex);
        Assert.Equal(999, cx[new System.Numerics.Complex(1, -1)]);
        Assert.Equal(1, cx[new System.Numerics.Complex(1, 1)]);
    }

    [Fact]
    public void Prefault_makes_a_views_pages_resident_in_one_call_and_respects_read_only()
    {
        using var array = SharedArray<double>.Create(Names.Unique("prefault"), [1024, 1024]); // 8 MiB, untouched
        long before = array.GetUsers().Single(u => u.Pid == Environment.ProcessId).ResidentBytes;
        using (SharedArray<double> half = array.Rows(0, 512))
        {
            Assert.True(half.Prefault(forWriting: true), "MADV_POPULATE_WRITE needs Linux 5.14");
        }
        long after = array.GetUsers().Single(u => u.Pid == Environment.ProcessId).ResidentBytes;
        Assert.InRange(after - before, 4L << 20, (4L << 20) + 64 * 1024);
        Assert.Equal(0.0, array[511, 1023]); // the data is untouched

        using var reader = SharedArray<double>.Open(array.Name, new SharedArrayOpenOptions { ReadOnly = true });
        Assert.True(reader.Prefault());
        Assert.Throws<InvalidOperationException>(() => reader.Prefault(forWriting: true));
    }
}
