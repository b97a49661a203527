using System.Globalization;
using System.Text;

namespace SharedArrays.Format;

internal static partial class NpyHeader
{
    private readonly record struct DictFields(string Descr, DType DType, bool FortranOrder, long[] Shape);

    /// <summary>
    /// Parses the header dict. NumPy evaluates it with <c>ast.literal_eval</c>, so any Python literal
    /// spelling is legal in principle; we accept the subset real writers produce: keys in any order,
    /// single or double quotes, any whitespace (newlines included: the dict is inside braces), a trailing
    /// comma, and Python 2's <c>L</c> suffix on integers in versions 1.0 and 2.0 (NumPy strips it there).
    /// </summary>
    private static DictFields ParseDict(ReadOnlySpan<byte> text, byte major)
    {
        var reader = new Reader(text, major);
        string? descr = null;
        DType dtype = default;
        bool? fortranOrder = null;
        long[]? shape = null;

        reader.SkipWhitespace();
        reader.Expect((byte)'{', "'{' starting the header dict");
        reader.SkipWhitespace();
        while (!reader.TryConsume((byte)'}'))
        {
            int keyStart = reader.Position;
            ReadOnlySpan<byte> key = reader.ReadString("a quoted key");
            reader.SkipWhitespace();
            reader.Expect((byte)':', "':' after a key");
            reader.SkipWhitespace();

            // Python would let a repeated key silently override the first; a writer that repeats one is broken.
            if (key.SequenceEqual("descr"u8))
            {
                ThrowIfRepeated(descr is not null, "descr", keyStart);
                (descr, dtype) = reader.ReadDescr();
            }
            else if (key.SequenceEqual("fortran_order"u8))
            {
                ThrowIfRepeated(fortranOrder is not null, "fortran_order", keyStart);
                fortranOrder = reader.ReadBool();
            }
            else if (key.SequenceEqual("shape"u8))
            {
                ThrowIfRepeated(shape is not null, "shape", keyStart);
                shape = reader.ReadShape();
            }
            else
            {
                throw Invalid($"the header has the unexpected key {reader.Quote(key)} at byte {keyStart}; a .npy header has exactly 'descr', 'fortran_order' and 'shape'");
            }

            reader.SkipWhitespace();
            if (reader.TryConsume((byte)','))
            {
                reader.SkipWhitespace();
            }
            else
            {
                reader.Expect((byte)'}', "',' or '}' after a value");
                break;
            }
        }
        reader.SkipWhitespace();
        if (!reader.AtEnd)
        {
            throw Invalid($"unexpected {reader.Describe()} at byte {reader.Position} after the header dict (only spaces and the final newline may follow it)");
        }

        if (descr is null || fortranOrder is null || shape is null)
        {
            string missing = string.Join(", ",
                new[] { descr is null ? "'descr'" : null, fortranOrder is null ? "'fortran_order'" : null, shape is null ? "'shape'" : null }
                    .Where(k => k is not null));
            throw Invalid($"the header dict lacks {missing}");
        }
        return new DictFields(descr, dtype, fortranOrder.Value, shape);
    }

    private static void ThrowIfRepeated(bool seen, string key, int position)
    {
        if (seen)
        {
            throw Invalid($"the header repeats the key '{key}' at byte {position}");
        }
    }

    /// <summary>
    /// Describes up to 16 raw bytes for a message: printable ASCII as is, anything else as \xNN.
    /// </summary>
    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder("'");
        foreach (byte b in bytes.Length > 16 ? bytes[..16] : bytes)
        {
            if (b is >= 0x20 and < 0x7F and not (byte)'\\' and not (byte)'\'')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
            }
        }
        return builder.Append(bytes.Length > 16 ? "...'" : "'").ToString();
    }

    /// <summary>A cursor over the header text: a tiny tokenizer for the Python literals a header holds.</summary>
    private ref struct Reader(ReadOnlySpan<byte> text, byte major)
    {
        private readonly ReadOnlySpan<byte> _text = text;
        private int _pos;

        public readonly int Position => _pos;

        public readonly bool AtEnd => _pos >= _text.Length;

        public void SkipWhitespace()
        {
            while (_pos < _text.Length && _text[_pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f')
            {
                _pos++;
            }
        }

        public bool TryConsume(byte c)
        {
            if (_pos < _text.Length && _text[_pos] == c)
            {
                _pos++;
                return true;
            }
            return false;
        }

        public void Expect(byte c, string what)
        {
            if (!TryConsume(c))
            {
                throw Invalid($"expected {what} at byte {_pos} of the header, found {Describe()}");
            }
        }

        /// <summary>The byte at the cursor, for messages.</summary>
        public readonly string Describe() =>
            AtEnd ? "the end of the header" : Printable(_text.Slice(_pos, 1));

        /// <summary>
        /// Reads a Python string literal in single or double quotes and returns its raw contents. A
        /// backslash escapes the next byte (so an escaped quote does not end the string); escapes are not
        /// decoded, so a string that uses them simply matches no key or dtype.
        /// </summary>
        public ReadOnlySpan<byte> ReadString(string what)
        {
            if (AtEnd || _text[_pos] is not ((byte)'\'' or (byte)'"'))
            {
                throw Invalid($"expected {what} at byte {_pos} of the header, found {Describe()}");
            }
            byte quote = _text[_pos];
            int start = ++_pos;
            while (_pos < _text.Length)
            {
                byte b = _text[_pos];
                if (b == quote)
                {
                    return _text[start.._pos++];
                }
                if (b is (byte)'\n' or (byte)'\r')
                {
                    break; // a newline cannot occur inside a one-line Python string
                }
                _pos += b == (byte)'\\' ? 2 : 1;
            }
            throw Invalid($"the string starting at byte {start - 1} of the header is not terminated");
        }

        /// <summary>Reads the value of 'descr': a string naming one of our 14 little-endian dtypes.</summary>
        public (string Descr, DType DType) ReadDescr()
        {
            int start = _pos;
            if (!AtEnd && _text[_pos] is (byte)'[' or (byte)'(' or (byte)'{')
            {
                // A list is a structured dtype, [('x', '<f8'), ...]; a tuple a sub-array dtype, ('<f8', (2,)).
                throw Invalid($"the header's descr at byte {start} is a structured or sub-array dtype, which is not supported; " +
                              "shared arrays hold one numeric dtype such as '<f8'");
            }
            ReadOnlySpan<byte> raw = ReadString("a quoted descr such as '<f8'");
            string descr = Decode(raw);
            return DTypes.ParseCore(descr, out DType dtype) switch
            {
                DTypes.SpellingStatus.Ok => (descr, dtype),
                DTypes.SpellingStatus.BigEndian => throw Invalid(
                    $"the dtype {Quote(raw)} is big-endian, which is not supported; save the array little-endian (arr.astype('{dtype.Descr()}'))"),
                _ => throw Invalid(
                    $"the dtype {Quote(raw)} is not supported; shared arrays hold bool, int8 to int64, uint8 to uint64, " +
                    "float16, float32, float64, complex64 and complex128 (not strings, objects, datetimes or structured dtypes)"),
            };
        }

        /// <summary>Reads <c>True</c> or <c>False</c>; NumPy requires a bool, so 0 and 1 do not count.</summary>
        public bool ReadBool()
        {
            ReadOnlySpan<byte> rest = _text[_pos..];
            if (rest.StartsWith("True"u8))
            {
                _pos += 4;
                return true;
            }
            if (rest.StartsWith("False"u8))
            {
                _pos += 5;
                return false;
            }
            throw Invalid($"expected True or False for fortran_order at byte {_pos} of the header, found {Describe()}");
        }

        /// <summary>
        /// Reads the shape tuple: <c>()</c>, <c>(5,)</c>, <c>(3, 4)</c>, <c>(3, 4,)</c>. <c>(5)</c> is the
        /// integer 5 in Python, not a tuple, and NumPy rejects it, so we do too.
        /// </summary>
        public long[] ReadShape()
        {
            int start = _pos;
            Expect((byte)'(', "a shape tuple such as (3, 4)");
            Span<long> dims = stackalloc long[MaxRank];
            int rank = 0;
            SkipWhitespace();
            while (!TryConsume((byte)')'))
            {
                if (rank == MaxRank)
                {
                    throw Invalid($"the shape at byte {start} has more than {MaxRank} axes");
                }
                dims[rank++] = ReadAxisLength(rank - 1);
                SkipWhitespace();
                if (TryConsume((byte)','))
                {
                    SkipWhitespace();
                }
                else
                {
                    Expect((byte)')', "',' or ')' in the shape tuple");
                    if (rank == 1)
                    {
                        throw Invalid($"the shape at byte {start} is a parenthesised integer, not a tuple: a 1-d shape is written ({dims[0]},)");
                    }
                    break;
                }
            }
            return dims[..rank].ToArray();
        }

        /// <summary>Reads a non-negative decimal integer, with an optional sign and Python 2 'L' suffix.</summary>
        private long ReadAxisLength(int axis)
        {
            int start = _pos;
            bool negative = TryConsume((byte)'-');
            if (!negative)
            {
                TryConsume((byte)'+');
            }
            if (AtEnd || !char.IsAsciiDigit((char)_text[_pos]))
            {
                throw Invalid($"expected an integer for axis {axis} at byte {_pos} of the header, found {Describe()}");
            }
            long value = 0;
            while (!AtEnd && char.IsAsciiDigit((char)_text[_pos]))
            {
                int digit = _text[_pos++] - '0';
                if (value > (long.MaxValue - digit) / 10)
                {
                    throw Invalid($"the length of axis {axis} at byte {start} of the header does not fit in 64 bits");
                }
                value = value * 10 + digit;
            }
            // Python 2 wrote longs as 3L; NumPy filters the suffix out of version 1.0 and 2.0 headers
            // (format._filter_header). Version 3.0 came after Python 2 and never has it.
            if (major < 3 && !AtEnd && _text[_pos] is (byte)'L' or (byte)'l')
            {
                _pos++;
            }
            if (negative && value != 0)
            {
                throw Invalid($"axis {axis} has the negative length -{value.ToString(CultureInfo.InvariantCulture)}");
            }
            return value;
        }

        /// <summary>Header text is Latin-1 in versions 1.0 and 2.0 and UTF-8 in 3.0 (decoding never throws: bad UTF-8 becomes U+FFFD).</summary>
        public readonly string Decode(ReadOnlySpan<byte> raw) =>
            major >= 3 ? Encoding.UTF8.GetString(raw) : Encoding.Latin1.GetString(raw);

        /// <summary>A string from the header, quoted and shortened for a message, control characters escaped.</summary>
        public readonly string Quote(ReadOnlySpan<byte> raw)
        {
            string text = Decode(raw.Length > 40 ? raw[..40] : raw);
            var builder = new StringBuilder("'");
            foreach (char c in text)
            {
                if (char.IsControl(c))
                {
                    builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                }
                else
                {
                    builder.Append(c);
                }
            }
            return builder.Append(raw.Length > 40 ? "...'" : "'").ToString();
        }
    }
}
