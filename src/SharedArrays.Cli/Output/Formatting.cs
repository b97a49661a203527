using System.Globalization;

namespace SharedArrays.Cli.Output;

/// <summary>How values look in human-readable output.</summary>
internal static class Formatting
{
    private static readonly string[] s_units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>A shape as numpy prints it: <c>(1000, 1000)</c>, <c>(5,)</c>, <c>()</c>.</summary>
    internal static string Shape(ReadOnlySpan<long> shape) => shape.Length switch
    {
        0 => "()",
        1 => $"({Number(shape[0])},)",
        _ => "(" + string.Join(", ", shape.ToArray().Select(Number)) + ")",
    };

    internal static string Shape(IReadOnlyList<long> shape) => Shape(new ReadOnlySpan<long>(shape.ToArray()));

    /// <summary>A byte count for people: <c>7.6 MiB</c>; exact below 1 KiB.</summary>
    internal static string Bytes(long bytes)
    {
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < s_units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
            : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + s_units[unit];
    }

    /// <summary>A count with thousands separators: <c>100,000,000</c>.</summary>
    internal static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    internal static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The shortest text that reads back as the same double.</summary>
    internal static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A float64 element as numpy prints it in an array: <c>42.</c>, <c>1.5</c>, <c>nan</c>.</summary>
    internal static string NumpyFloat(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }
        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }
        return value == Math.Floor(value) && Math.Abs(value) < 1e16
            ? value.ToString("0", CultureInfo.InvariantCulture) + "."
            : Number(value);
    }

    internal static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";

    internal static string YesNo(bool? value) => value switch
    {
        true => "yes",
        false => "no",
        null => "-",
    };

    internal static string FormatName(SegmentFormat format) => format == SegmentFormat.SharedArray ? "sharr" : "npy";

    /// <summary>The generation as handles and docs/format.md write it: the 16 control-block bytes in file order, lower-case hex.</summary>
    internal static string Generation(Guid generation) => SharedArrayHandle.FormatGeneration(generation);
}
