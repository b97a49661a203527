using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace SharedArrays;

/// <summary>
/// The element types a shared array can hold: NumPy's fixed-size numeric dtypes, always
/// little-endian. Each member's numeric value is the dtype code stored in a segment's control block
/// (see <c>docs/format.md</c>), so the values never change.
/// </summary>
public enum DType : uint
{
    /// <summary>NumPy <c>bool</c> (<c>|b1</c>), one byte, 0 or 1; .NET <see cref="bool"/>. Dtype code 1.</summary>
    Bool = 1,

    /// <summary>NumPy <c>int8</c> (<c>|i1</c>); .NET <see cref="sbyte"/>. Dtype code 2.</summary>
    Int8 = 2,

    /// <summary>NumPy <c>uint8</c> (<c>|u1</c>); .NET <see cref="byte"/>. Dtype code 3.</summary>
    UInt8 = 3,

    /// <summary>NumPy <c>int16</c> (<c>&lt;i2</c>); .NET <see cref="short"/>. Dtype code 4.</summary>
    Int16 = 4,

    /// <summary>NumPy <c>uint16</c> (<c>&lt;u2</c>); .NET <see cref="ushort"/>. Dtype code 5.</summary>
    UInt16 = 5,

    /// <summary>NumPy <c>int32</c> (<c>&lt;i4</c>); .NET <see cref="int"/>. Dtype code 6.</summary>
    Int32 = 6,

    /// <summary>NumPy <c>uint32</c> (<c>&lt;u4</c>); .NET <see cref="uint"/>. Dtype code 7.</summary>
    UInt32 = 7,

    /// <summary>NumPy <c>int64</c> (<c>&lt;i8</c>); .NET <see cref="long"/>. Dtype code 8.</summary>
    Int64 = 8,

    /// <summary>NumPy <c>uint64</c> (<c>&lt;u8</c>); .NET <see cref="ulong"/>. Dtype code 9.</summary>
    UInt64 = 9,

    /// <summary>NumPy <c>float16</c> (<c>&lt;f2</c>); .NET <see cref="Half"/>. Dtype code 10.</summary>
    Float16 = 10,

    /// <summary>NumPy <c>float32</c> (<c>&lt;f4</c>); .NET <see cref="float"/>. Dtype code 11.</summary>
    Float32 = 11,

    /// <summary>NumPy <c>float64</c> (<c>&lt;f8</c>); .NET <see cref="double"/>. Dtype code 12.</summary>
    Float64 = 12,

    /// <summary>
    /// NumPy <c>complex64</c> (<c>&lt;c8</c>): two float32, real then imaginary; .NET
    /// <see cref="SharedArrays.Complex64"/>. Dtype code 13.
    /// </summary>
    Complex64 = 13,

    /// <summary>
    /// NumPy <c>complex128</c> (<c>&lt;c16</c>): two float64, real then imaginary; .NET
    /// <see cref="System.Numerics.Complex"/>. Dtype code 14.
    /// </summary>
    Complex128 = 14,
}

/// <summary>
/// Facts about each <see cref="DType"/> (item size, NumPy spellings) and the mapping from NumPy
/// spellings and .NET element types to <see cref="DType"/>.
/// </summary>
public static class DTypes
{
    // Every spelling Parse accepts without a byte-order prefix, case-insensitively: NumPy's names and
    // aliases (as np.dtype(...) resolves them on 64-bit Linux) and the kind+size codes. NumPy's
    // one-letter type characters other than '?' are left out on purpose: they are case-sensitive
    // ('f' is float32, 'F' complex64; 'b' int8, 'B' uint8), which a case-insensitive parser cannot honour.
    private static readonly FrozenDictionary<string, DType>.AlternateLookup<ReadOnlySpan<char>> Spellings = new Dictionary<string, DType>
    {
        ["bool"] = DType.Bool, ["bool_"] = DType.Bool, ["?"] = DType.Bool, ["b1"] = DType.Bool,
        ["int8"] = DType.Int8, ["byte"] = DType.Int8, ["i1"] = DType.Int8,
        ["uint8"] = DType.UInt8, ["ubyte"] = DType.UInt8, ["u1"] = DType.UInt8,
        ["int16"] = DType.Int16, ["short"] = DType.Int16, ["i2"] = DType.Int16,
        ["uint16"] = DType.UInt16, ["ushort"] = DType.UInt16, ["u2"] = DType.UInt16,
        ["int32"] = DType.Int32, ["intc"] = DType.Int32, ["i4"] = DType.Int32,
        ["uint32"] = DType.UInt32, ["uintc"] = DType.UInt32, ["u4"] = DType.UInt32,
        ["int64"] = DType.Int64, ["int"] = DType.Int64, ["intp"] = DType.Int64, ["longlong"] = DType.Int64, ["i8"] = DType.Int64,
        ["uint64"] = DType.UInt64, ["uint"] = DType.UInt64, ["uintp"] = DType.UInt64, ["ulonglong"] = DType.UInt64, ["u8"] = DType.UInt64,
        ["float16"] = DType.Float16, ["half"] = DType.Float16, ["f2"] = DType.Float16,
        ["float32"] = DType.Float32, ["single"] = DType.Float32, ["f4"] = DType.Float32,
        ["float64"] = DType.Float64, ["double"] = DType.Float64, ["float"] = DType.Float64, ["f8"] = DType.Float64,
        ["complex64"] = DType.Complex64, ["csingle"] = DType.Complex64, ["c8"] = DType.Complex64,
        ["complex128"] = DType.Complex128, ["cdouble"] = DType.Complex128, ["complex"] = DType.Complex128, ["c16"] = DType.Complex128,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();

    // After a byte-order character only a type code may follow, as in NumPy ("<f8", not "<float64").
    private static readonly FrozenDictionary<string, DType>.AlternateLookup<ReadOnlySpan<char>> Codes = new Dictionary<string, DType>
    {
        ["?"] = DType.Bool, ["b1"] = DType.Bool, ["i1"] = DType.Int8, ["u1"] = DType.UInt8,
        ["i2"] = DType.Int16, ["u2"] = DType.UInt16, ["i4"] = DType.Int32, ["u4"] = DType.UInt32,
        ["i8"] = DType.Int64, ["u8"] = DType.UInt64, ["f2"] = DType.Float16, ["f4"] = DType.Float32,
        ["f8"] = DType.Float64, ["c8"] = DType.Complex64, ["c16"] = DType.Complex128,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The size of one element in bytes: 1 for <see cref="DType.Bool"/>, 16 for <see cref="DType.Complex128"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined member.</exception>
    public static int ItemSize(this DType dtype) => dtype switch
    {
        DType.Bool or DType.Int8 or DType.UInt8 => 1,
        DType.Int16 or DType.UInt16 or DType.Float16 => 2,
        DType.Int32 or DType.UInt32 or DType.Float32 => 4,
        DType.Int64 or DType.UInt64 or DType.Float64 or DType.Complex64 => 8,
        DType.Complex128 => 16,
        _ => throw Undefined(dtype),
    };

    /// <summary>The .npy <c>descr</c> string NumPy writes for the type, e.g. <c>&lt;f8</c> or <c>|u1</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined member.</exception>
    public static string Descr(this DType dtype) => dtype switch
    {
        DType.Bool => "|b1",
        DType.Int8 => "|i1",
        DType.UInt8 => "|u1",
        DType.Int16 => "<i2",
        DType.UInt16 => "<u2",
        DType.Int32 => "<i4",
        DType.UInt32 => "<u4",
        DType.Int64 => "<i8",
        DType.UInt64 => "<u8",
        DType.Float16 => "<f2",
        DType.Float32 => "<f4",
        DType.Float64 => "<f8",
        DType.Complex64 => "<c8",
        DType.Complex128 => "<c16",
        _ => throw Undefined(dtype),
    };

    /// <summary>
    /// The type code without byte order, e.g. <c>f8</c> or <c>c16</c>: letters and digits only, so it is
    /// safe in shell words and handle strings.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined member.</exception>
    public static string ShortName(this DType dtype) => dtype switch
    {
        DType.Bool => "b1",
        DType.Int8 => "i1",
        DType.UInt8 => "u1",
        DType.Int16 => "i2",
        DType.UInt16 => "u2",
        DType.Int32 => "i4",
        DType.UInt32 => "u4",
        DType.Int64 => "i8",
        DType.UInt64 => "u8",
        DType.Float16 => "f2",
        DType.Float32 => "f4",
        DType.Float64 => "f8",
        DType.Complex64 => "c8",
        DType.Complex128 => "c16",
        _ => throw Undefined(dtype),
    };

    /// <summary>NumPy's name for the type, e.g. <c>float64</c>, <c>bool</c>, <c>complex64</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined member.</exception>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Bool => "bool",
        DType.Int8 => "int8",
        DType.UInt8 => "uint8",
        DType.Int16 => "int16",
        DType.UInt16 => "uint16",
        DType.Int32 => "int32",
        DType.UInt32 => "uint32",
        DType.Int64 => "int64",
        DType.UInt64 => "uint64",
        DType.Float16 => "float16",
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Complex64 => "complex64",
        DType.Complex128 => "complex128",
        _ => throw Undefined(dtype),
    };

    /// <summary>
    /// Parses a NumPy dtype spelling, ignoring case: a name or alias (<c>float64</c>, <c>double</c>,
    /// <c>float</c>, <c>int</c>, <c>uint8</c>, <c>half</c>, <c>single</c>, <c>complex</c>, <c>bool</c>, ...),
    /// a type code (<c>f8</c>, <c>i4</c>, <c>u1</c>, <c>b1</c>, <c>?</c>, <c>c16</c>, ...) or a code with a
    /// byte order (<c>&lt;f8</c>, <c>|u1</c>, <c>=f8</c>). As in NumPy, <c>float</c> is float64, <c>int</c>
    /// int64 and <c>complex</c> complex128.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">
    /// The spelling is unknown, names a type this library does not hold, or is big-endian (<c>&gt;f8</c>).
    /// </exception>
    public static DType Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ParseCore(text, out DType dtype) switch
        {
            SpellingStatus.Ok => dtype,
            SpellingStatus.BigEndian => throw new FormatException(
                $"'{text}' is a big-endian dtype, which is not supported: shared arrays are little-endian (use '{dtype.Descr()}', or arr.astype('{dtype.Descr()}') in NumPy)."),
            _ => throw new FormatException(
                $"'{text}' is not a supported dtype. Use a NumPy name such as float64, float32, float16, int64, int32, int16, int8, " +
                "uint64, uint32, uint16, uint8, bool, complex64 or complex128, or a type code such as f8, i4, u1, b1, c16 or <f8."),
        };
    }

    /// <summary>Parses a dtype spelling as <see cref="Parse"/> does, without throwing.</summary>
    /// <returns>True if <paramref name="text"/> names a supported little-endian dtype.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out DType dtype)
    {
        if (text is not null && ParseCore(text, out dtype) == SpellingStatus.Ok)
        {
            return true;
        }
        dtype = default;
        return false;
    }

    /// <summary>
    /// The <see cref="DType"/> of the .NET element type <typeparamref name="T"/>: <see cref="bool"/>,
    /// <see cref="sbyte"/>, <see cref="byte"/>, <see cref="short"/>, <see cref="ushort"/>, <see cref="int"/>,
    /// <see cref="uint"/>, <see cref="long"/>, <see cref="ulong"/>, <see cref="Half"/>, <see cref="float"/>,
    /// <see cref="double"/>, <see cref="SharedArrays.Complex64"/> or <see cref="System.Numerics.Complex"/>.
    /// </summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is none of these.</exception>
    public static DType Of<T>() where T : unmanaged
    {
        // T is a value type, so the JIT compiles one copy per T and folds each comparison to a
        // constant: the whole method becomes "return <constant>".
        if (typeof(T) == typeof(bool)) { return DType.Bool; }
        if (typeof(T) == typeof(sbyte)) { return DType.Int8; }
        if (typeof(T) == typeof(byte)) { return DType.UInt8; }
        if (typeof(T) == typeof(short)) { return DType.Int16; }
        if (typeof(T) == typeof(ushort)) { return DType.UInt16; }
        if (typeof(T) == typeof(int)) { return DType.Int32; }
        if (typeof(T) == typeof(uint)) { return DType.UInt32; }
        if (typeof(T) == typeof(long)) { return DType.Int64; }
        if (typeof(T) == typeof(ulong)) { return DType.UInt64; }
        if (typeof(T) == typeof(Half)) { return DType.Float16; }
        if (typeof(T) == typeof(float)) { return DType.Float32; }
        if (typeof(T) == typeof(double)) { return DType.Float64; }
        if (typeof(T) == typeof(Complex64)) { return DType.Complex64; }
        if (typeof(T) == typeof(System.Numerics.Complex)) { return DType.Complex128; }
        return ThrowUnsupportedElementType(typeof(T));
    }

    /// <summary>Whether <paramref name="dtype"/> is one of the 14 defined members (a cast from any uint compiles).</summary>
    internal static bool IsDefined(DType dtype) => dtype is >= DType.Bool and <= DType.Complex128;

    internal enum SpellingStatus
    {
        Ok,
        BigEndian,
        Unknown,
    }

    /// <summary>
    /// The parser behind <see cref="Parse"/>, also used for .npy <c>descr</c> strings. On
    /// <see cref="SpellingStatus.BigEndian"/>, <paramref name="dtype"/> is the type with the byte order ignored.
    /// </summary>
    internal static SpellingStatus ParseCore(ReadOnlySpan<char> text, out DType dtype)
    {
        if (Spellings.TryGetValue(text, out dtype))
        {
            return SpellingStatus.Ok;
        }
        if (text.Length >= 2 && Codes.TryGetValue(text[1..], out dtype))
        {
            switch (text[0])
            {
                case '<':
                case '|': // "not applicable"; np.dtype('|f8') is the native float64 all the same
                    return SpellingStatus.Ok;
                case '=': // native order: little-endian on every platform .NET runs on today
                    return BitConverter.IsLittleEndian || dtype.ItemSize() == 1 ? SpellingStatus.Ok : SpellingStatus.BigEndian;
                case '>':
                case '!': // network order, i.e. big-endian
                    // Byte order means nothing for one-byte types: NumPy itself turns '>u1' into '|u1'.
                    return dtype.ItemSize() == 1 ? SpellingStatus.Ok : SpellingStatus.BigEndian;
            }
        }
        dtype = default;
        return SpellingStatus.Unknown;
    }

    [DoesNotReturn]
    private static DType ThrowUnsupportedElementType(Type type) =>
        throw new NotSupportedException(
            $"{type.FullName} is not a supported element type. Use bool, sbyte, byte, short, ushort, int, uint, long, ulong, " +
            "Half, float, double, SharedArrays.Complex64 or System.Numerics.Complex.");

    private static ArgumentOutOfRangeException Undefined(DType dtype) =>
        new(nameof(dtype), dtype, $"{(uint)dtype} is not a defined DType code (1 to 14).");
}
