using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SharedArrays.Cli.Output;

/// <summary>
/// Writes the one JSON document a <c>--json</c> command prints, with <see cref="Utf8JsonWriter"/> (no
/// reflection: trimming- and AOT-safe). Keys are snake_case.
/// </summary>
internal static class JsonOutput
{
    private static readonly JsonWriterOptions s_options = new()
    {
        Indented = true,
        // Not HTML: "<f8" should read as "<f8", not "\u003Cf8".
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes one object to stdout, built by <paramref name="body"/>, and a final newline.</summary>
    internal static void WriteObject(Action<Utf8JsonWriter> body)
    {
        Console.Out.Flush();
        using Stream stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, s_options))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        stdout.Write("\n"u8);
        stdout.Flush();
    }

    /// <summary>
    /// A double; NaN and the infinities, which JSON lacks, as the strings "NaN", "Infinity" and
    /// "-Infinity" (System.Text.Json's named floating-point literals).
    /// </summary>
    internal static void WriteDouble(this Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    internal static void WriteDouble(this Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v)
        {
            writer.WriteDouble(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    internal static void WriteDoubleValue(this Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    internal static void WriteShape(this Utf8JsonWriter writer, string name, IEnumerable<long> shape)
    {
        writer.WriteStartArray(name);
        foreach (long d in shape)
        {
            writer.WriteNumberValue(d);
        }
        writer.WriteEndArray();
    }

    internal static void WriteNumberOrNull(this Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    internal static void WriteBooleanOrNull(this Utf8JsonWriter writer, string name, bool? value)
    {
        if (value is { } v)
        {
            writer.WriteBoolean(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    /// <summary>Seconds with microsecond resolution.</summary>
    internal static void WriteSeconds(this Utf8JsonWriter writer, string name, TimeSpan elapsed) =>
        writer.WriteNumber(name, Math.Round(elapsed.TotalSeconds, 6));

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
