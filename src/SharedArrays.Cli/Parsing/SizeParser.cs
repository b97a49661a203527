using System.Globalization;

namespace SharedArrays.Cli.Parsing;

/// <summary>
/// Reads a byte size: <c>64MB</c>, <c>1.5GB</c>, <c>512MiB</c>, <c>4096</c>. K, M, G, T (with or without B)
/// are powers of 1000; KiB, MiB, GiB, TiB powers of 1024. Case does not matter.
/// </summary>
internal static class SizeParser
{
    private static readonly (string Suffix, long Factor)[] s_units =
    [
        ("kib", 1L << 10), ("mib", 1L << 20), ("gib", 1L << 30), ("tib", 1L << 40),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
        ("k", 1_000), ("m", 1_000_000), ("g", 1_000_000_000), ("t", 1_000_000_000_000),
        ("b", 1),
    ];

    internal static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        string body = text.Trim().ToLowerInvariant().Replace("_", "", StringComparison.Ordinal);
        long factor = 1;
        foreach (var (suffix, f) in s_units)
        {
            if (body.EndsWith(suffix, StringComparison.Ordinal))
            {
                body = body[..^suffix.Length].TrimEnd();
                factor = f;
                break;
            }
        }
        if (!double.TryParse(body, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value))
        {
            return false;
        }
        double total = value * factor;
        if (total is < 0 or >= 9.2e18)
        {
            return false;
        }
        bytes = (long)total;
        return true;
    }
}
