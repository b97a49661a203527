using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace SharedArrays.Cli.Parsing;

/// <summary>Reads a shape: <c>1000,1000</c>, <c>(1000, 1000)</c>, <c>[5]</c>, <c>5,</c>; <c>""</c> or <c>()</c> is rank 0.</summary>
internal static class ShapeParser
{
    internal static bool TryParse(string text, [NotNullWhen(true)] out long[]? shape, [NotNullWhen(false)] out string? error)
    {
        shape = null;
        string body = text.Trim();
        if ((body.StartsWith('(') && body.EndsWith(')')) || (body.StartsWith('[') && body.EndsWith(']')))
        {
            body = body[1..^1].Trim();
        }
        if (body.Length == 0)
        {
            shape = [];
            error = null;
            return true;
        }
        // numpy writes a 1-tuple as "(5,)": one trailing comma is allowed.
        if (body.EndsWith(','))
        {
            body = body[..^1];
        }
        string[] items = body.Split(',', StringSplitOptions.TrimEntries);
        var result = new long[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            string item = items[i].Replace("_", "", StringComparison.Ordinal);
            if (!long.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out result[i]))
            {
                error = $"'{text}' is not a shape: '{items[i]}' is not a non-negative integer (write e.g. 1000,1000, or \"\" for a scalar)";
                return false;
            }
        }
        shape = result;
        error = null;
        return true;
    }
}
