using System.Globalization;
using System.Text.Json.Nodes;

namespace SharedArrays.Benchmarks.Infrastructure;

/// <summary>Medians, ratios and the way figures are written: seconds with three significant digits.</summary>
internal static class Stats
{
    /// <summary>The median: robust to the one run in five that this shared VM makes 2-3x slower.</summary>
    internal static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Seconds for a human: "3.21 s", "412 ms", "87.5 µs".</summary>
    internal static string Seconds(double seconds) => double.IsNaN(seconds) ? "-" : seconds < 0 ? "-" + Seconds(-seconds) : seconds switch
    {
        >= 1 => Sig(seconds) + " s",
        >= 1e-3 => Sig(seconds * 1e3) + " ms",
        _ => Sig(seconds * 1e6) + " µs",
    };

    /// <summary>A ratio for a human: "6.3x".</summary>
    internal static string Ratio(double ratio) => double.IsNaN(ratio) || double.IsInfinity(ratio) ? "-"
        : ratio < 0.1 ? ratio.ToString("0.00#", CultureInfo.InvariantCulture) + "x"
        : Sig(ratio) + "x";

    private static string Sig(double value) => value switch
    {
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.00", CultureInfo.InvariantCulture),
    };

    /// <summary>A number for JSON, rounded to what the clock can tell (nanoseconds); NaN becomes null.</summary>
    internal static JsonNode? Json(double value) => double.IsNaN(value) || double.IsInfinity(value) ? null : JsonValue.Create(Math.Round(value, 9));

    internal static JsonArray JsonArray(IEnumerable<double> values) => new(values.Select(Json).ToArray());

    internal static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1_000_000_000 => (bytes / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " GB",
        >= 1_000_000 => (bytes / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
        _ => Count(bytes) + " B",
    };
}
