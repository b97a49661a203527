using System.Globalization;
using System.Numerics;

namespace SharedArrays.Cli.Parsing;

/// <summary>
/// Reads one element value as numpy would accept it for a dtype: <c>true</c>/<c>false</c>/<c>1</c>/<c>0</c>
/// for bool; an integer in range for the integer types (<c>1e3</c> too, if whole); a float, <c>nan</c>,
/// <c>inf</c> or <c>-inf</c> for the float types; <c>1+2j</c>, <c>1,2</c>, <c>2j</c> or a real for complex.
/// </summary>
internal static class ValueParser
{
    /// <exception cref="FormatException">The text is not a value of <typeparamref name="T"/>; the message says why.</exception>
    internal static T Parse<T>(string text) where T : unmanaged
    {
        string s = text.Trim();
        object value = default(T) switch
        {
            bool => ParseBool(s, text),
            sbyte => ParseInteger<sbyte>(s, text),
            byte => ParseInteger<byte>(s, text),
            short => ParseInteger<short>(s, text),
            ushort => ParseInteger<ushort>(s, text),
            int => ParseInteger<int>(s, text),
            uint => ParseInteger<uint>(s, text),
            long => ParseInteger<long>(s, text),
            ulong => ParseInteger<ulong>(s, text),
            Half => (Half)ParseReal(s, text, "float16"),
            float => (float)ParseReal(s, text, "float32"),
            double => ParseReal(s, text, "float64"),
            Complex64 => ToComplex64(ParseComplex(s, text, "complex64")),
            Complex => ParseComplex(s, text, "complex128"),
            _ => throw new NotSupportedException($"No value parser for {typeof(T).Name}."),
        };
        return (T)value;
    }

    /// <summary>Checks <paramref name="text"/> against <paramref name="dtype"/>; null if it is fine, else the reason.</summary>
    internal static string? Validate(DType dtype, string text)
    {
        try
        {
            _ = ElementTypes.Dispatch<Check, bool>(dtype, new Check(text));
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    private readonly struct Check(string text) : IElementTypeFunc<bool>
    {
        public bool Invoke<T>() where T : unmanaged
        {
            _ = Parse<T>(text);
            return true;
        }
    }

    private static bool ParseBool(string s, string text) => s.ToLowerInvariant() switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => throw Invalid(text, "bool", "use true, false, 1 or 0"),
    };

    private static TInt ParseInteger<TInt>(string s, string text) where TInt : IBinaryInteger<TInt>, IMinMaxValue<TInt>
    {
        string name = IntegerName<TInt>();
        string digits = s.Replace("_", "", StringComparison.Ordinal);
        if (!Int128.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out Int128 whole))
        {
            // numpy takes whole floats for integer arrays (np.full(3, 1e3, dtype=int) is fine).
            if (double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) && d == Math.Floor(d)
                && Math.Abs(d) < 1e38)
            {
                whole = (Int128)d;
            }
            else
            {
                throw Invalid(text, name, "expected an integer");
            }
        }
        if (whole < Int128.CreateTruncating(TInt.MinValue) || whole > Int128.CreateTruncating(TInt.MaxValue))
        {
            throw Invalid(text, name, $"out of range [{TInt.MinValue}, {TInt.MaxValue}]");
        }
        return TInt.CreateTruncating(whole);
    }

    private static string IntegerName<TInt>() => typeof(TInt) switch
    {
        var t when t == typeof(sbyte) => "int8",
        var t when t == typeof(byte) => "uint8",
        var t when t == typeof(short) => "int16",
        var t when t == typeof(ushort) => "uint16",
        var t when t == typeof(int) => "int32",
        var t when t == typeof(uint) => "uint32",
        var t when t == typeof(long) => "int64",
        _ => "uint64",
    };

    private static double ParseReal(string s, string text, string dtype) =>
        TryParseReal(s, out double value) ? value : throw Invalid(text, dtype, "expected a number, nan, inf or -inf");

    private static bool TryParseReal(string s, out double value)
    {
        string lower = s.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
        string unsigned = lower.TrimStart('+', '-');
        bool negative = lower.StartsWith('-');
        switch (unsigned)
        {
            case "nan":
                value = double.NaN;
                return lower.Length - unsigned.Length <= 1;
            case "inf" or "infinity":
                value = negative ? double.NegativeInfinity : double.PositiveInfinity;
                return lower.Length - unsigned.Length <= 1;
        }
        return double.TryParse(lower, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static Complex ParseComplex(string s, string text, string dtype)
    {
        string body = s.Replace(" ", "", StringComparison.Ordinal);
        if (body.StartsWith('(') && body.EndsWith(')'))
        {
            body = body[1..^1];
        }
        if (body.Contains(','))
        {
            // "re,im"
            string[] parts = body.Split(',');
            if (parts.Length == 2 && TryParseReal(parts[0], out double re) && TryParseReal(parts[1], out double im))
            {
                return new Complex(re, im);
            }
        }
        else if (body.EndsWith('j') || body.EndsWith('J'))
        {
            // "re+imj", "re-imj", "imj", "j": the imaginary part starts at the last sign that is not an exponent's.
            string withoutJ = body[..^1];
            int split = -1;
            for (int i = withoutJ.Length - 1; i > 0; i--)
            {
                if ((withoutJ[i] == '+' || withoutJ[i] == '-') && withoutJ[i - 1] is not ('e' or 'E'))
                {
                    split = i;
                    break;
                }
            }
            string realText = split < 0 ? "0" : withoutJ[..split];
            string imagText = split < 0 ? withoutJ : withoutJ[split..];
            if (imagText is "" or "+" or "-")
            {
                imagText += "1";
            }
            if (TryParseReal(realText, out double re) && TryParseReal(imagText, out double im))
            {
                return new Complex(re, im);
            }
        }
        else if (TryParseReal(body, out double re))
        {
            return new Complex(re, 0);
        }
        throw Invalid(text, dtype, "write e.g. 1+2j, 1,2 or 1.5");
    }

    private static Complex64 ToComplex64(Complex value) => new((float)value.Real, (float)value.Imaginary);

    private static FormatException Invalid(string text, string dtype, string reason) =>
        new($"'{text}' is not a valid {dtype} value: {reason}.");
}
