using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace SharedArrays;

/// <summary>
/// Plain, immutable data that identifies a shared array or a view of one: segment name, generation,
/// element type, shape, offset and strides. Pass its <see cref="ToString"/> form on a command line,
/// a pipe or a queue, and <see cref="SharedArray.Open(SharedArrayHandle, SharedArrayOpenOptions?)"/>
/// it in the other process. Offsets and strides count elements, as <c>TensorSpan</c> does (numpy's
/// <c>.strides</c> count bytes).
/// </summary>
/// <remarks>
/// String form: <c>sharr1:NAME:GENERATION:DTYPE:SHAPE:OFFSET:STRIDES</c>, e.g.
/// <c>sharr1:a1:5f3c…e1:f8:1000,1000:0:1000,1</c>. The name is percent-escaped; the generation is
/// 32 hex digits of the control block's 16 generation bytes in file order; see docs/format.md.
/// </remarks>
public sealed class SharedArrayHandle : IEquatable<SharedArrayHandle>
{
    private const string Prefix = "sharr1";
    private readonly long[] _shape;
    private readonly long[] _strides;
    private string? _text;

    /// <summary>Creates a handle. Validates that shape and strides agree in rank and are non-negative.</summary>
    public SharedArrayHandle(string name, Guid generation, DType dtype, ReadOnlySpan<long> shape, long offset, ReadOnlySpan<long> strides)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!Enum.IsDefined(dtype))
        {
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown element type.");
        }
        if (shape.Length != strides.Length)
        {
            throw new ArgumentException($"Shape has rank {shape.Length} but strides have rank {strides.Length}.", nameof(strides));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        foreach (long d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
        }
        foreach (long s in strides)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(s, nameof(strides));
        }
        Name = name;
        Generation = generation;
        DType = dtype;
        Offset = offset;
        _shape = shape.ToArray();
        _strides = strides.ToArray();
    }

    /// <summary>The segment name (or the path of a .npy file).</summary>
    public string Name { get; }

    /// <summary>The generation of the segment the handle was taken from.</summary>
    public Guid Generation { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The view's shape.</summary>
    public ReadOnlySpan<long> Shape => _shape;

    /// <summary>The view's first element, counted in elements from the start of the array's data.</summary>
    public long Offset { get; }

    /// <summary>The view's strides, in elements.</summary>
    public ReadOnlySpan<long> Strides => _strides;

    /// <summary>The compact string form; <see cref="Parse"/> reads it back.</summary>
    public override string ToString() => _text ??= Format();

    /// <summary>
    /// A generation as handles, <c>sharr info</c> and error messages write it: 32 lowercase hex digits
    /// of its 16 bytes in control-block order (not <see cref="Guid.ToString()"/>'s mixed-endian form).
    /// </summary>
    public static string FormatGeneration(Guid generation)
    {
        Span<byte> bytes = stackalloc byte[16];
        generation.TryWriteBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    private string Format()
    {
        var sb = new StringBuilder(Prefix);
        sb.Append(':').Append(Uri.EscapeDataString(Name))
          .Append(':').Append(FormatGeneration(Generation))
          .Append(':').Append(DType.ShortName())
          .Append(':').AppendJoin(',', _shape)
          .Append(':').Append(Offset.ToString(CultureInfo.InvariantCulture))
          .Append(':').AppendJoin(',', _strides);
        return sb.ToString();
    }

    /// <summary>Reads the string form. Throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static SharedArrayHandle Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out SharedArrayHandle? handle, out string? error)
            ? handle
            : throw new FormatException($"'{text}' is not a shared array handle: {error}.");
    }

    /// <summary>Reads the string form; false if it is not one.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out SharedArrayHandle? handle) =>
        TryParse(text, out handle, out _);

    private static bool TryParse(string? text, [NotNullWhen(true)] out SharedArrayHandle? handle, [NotNullWhen(false)] out string? error)
    {
        handle = null;
        string[] parts = text?.Split(':') ?? [];
        if (parts.Length != 7 || parts[0] != Prefix)
        {
            error = $"expected 7 fields '{Prefix}:NAME:GENERATION:DTYPE:SHAPE:OFFSET:STRIDES'";
            return false;
        }
        string name;
        try
        {
            name = Uri.UnescapeDataString(parts[1]);
        }
        catch (UriFormatException)
        {
            error = "the name is not percent-escaped correctly";
            return false;
        }
        if (name.Length == 0)
        {
            error = "the name is empty";
            return false;
        }
        byte[] generation;
        try
        {
            generation = parts[2].Length == 32 ? Convert.FromHexString(parts[2]) : [];
        }
        catch (FormatException)
        {
            generation = [];
        }
        if (generation.Length != 16)
        {
            error = "the generation is not 32 hex digits";
            return false;
        }
        if (!DTypes.TryParse(parts[3], out DType dtype))
        {
            error = $"unknown element type '{parts[3]}'";
            return false;
        }
        if (!TryParseList(parts[4], out long[]? shape) || !TryParseList(parts[6], out long[]? strides) || shape.Length != strides.Length)
        {
            error = "the shape and strides must be comma-separated non-negative integers of the same rank";
            return false;
        }
        if (!long.TryParse(parts[5], NumberStyles.None, CultureInfo.InvariantCulture, out long offset))
        {
            error = "the offset is not a non-negative integer";
            return false;
        }
        handle = new SharedArrayHandle(name, new Guid(generation), dtype, shape, offset, strides) { _text = text };
        error = null;
        return true;
    }

    private static bool TryParseList(string text, [NotNullWhen(true)] out long[]? values)
    {
        if (text.Length == 0)
        {
            values = [];
            return true;
        }
        string[] items = text.Split(',');
        values = new long[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (!long.TryParse(items[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
            {
                values = null;
                return false;
            }
        }
        return values.Length <= SharedArrays.Format.ControlBlock.MaxRank;
    }

    /// <inheritdoc/>
    public bool Equals(SharedArrayHandle? other) => other is not null && ToString() == other.ToString();

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as SharedArrayHandle);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());
}
