using System.Buffers.Binary;
using System.Globalization;

namespace SharedArrays.Format;

/// <summary>What a .npy header says, validated against the length of the file it came from.</summary>
internal readonly struct NpyHeaderInfo
{
    /// <summary>The <c>descr</c> string as the file spells it (e.g. <c>&lt;f8</c>); see <see cref="DType"/> for its meaning.</summary>
    internal required string Descr { get; init; }

    internal required DType DType { get; init; }

    /// <summary>True if the elements are stored column-major (NumPy's <c>fortran_order</c>).</summary>
    internal required bool FortranOrder { get; init; }

    /// <summary>The axis lengths, all &gt;= 0; empty for a 0-d array.</summary>
    internal required long[] Shape { get; init; }

    /// <summary>Where the elements start: the magic, version, length field and header text end here.</summary>
    internal required long DataOffset { get; init; }

    internal required (byte Major, byte Minor) Version { get; init; }

    /// <summary>prod(<see cref="Shape"/>) * item size; <see cref="DataOffset"/> + this is at most the file length.</summary>
    internal required long DataBytes { get; init; }
}

/// <summary>
/// Reads and writes the NumPy .npy header (format versions 1.0, 2.0 and 3.0, see NumPy's
/// <c>numpy/lib/format.py</c>): the magic <c>\x93NUMPY</c>, a version, a little-endian header
/// length, and a Python dict literal such as <c>{'descr': '&lt;f8', 'fortran_order': False, 'shape': (3, 4), }</c>
/// padded with spaces and ending in a newline.
/// </summary>
/// <remarks>
/// <see cref="Parse"/> reads bytes from a file anyone may have written, so it trusts nothing: every
/// problem, whatever the bytes, is an <see cref="InvalidSegmentException"/> whose message is a
/// sentence fragment (the caller prefixes the segment name), and a header that parses describes data
/// that lies inside the file.
/// </remarks>
internal static partial class NpyHeader
{
    /// <summary>The most axes an array may have; NumPy's own limit was 32 until 2.0 (now 64).</summary>
    internal const int MaxRank = 32;

    /// <summary>NumPy aligns the data of every .npy it writes to this many bytes (format.ARRAY_ALIGN).</summary>
    internal const int Alignment = 64;

    /// <summary>Where the data of a segment we create starts: one page, so the data is page-aligned.</summary>
    internal const int DefaultDataOffset = 4096;

    /// <summary>
    /// NumPy refuses to load a header longer than this many characters unless told to trust the file
    /// (<c>max_header_size</c>, NumPy 1.24 and later), so <see cref="Write"/> never writes a longer one.
    /// </summary>
    internal const int NumPyMaxHeaderLength = 10_000;

    /// <summary>Magic (6) + version (2) + uint16 header length: the fixed part of a version 1.0 header.</summary>
    private const int PrefixLengthV1 = 10;

    /// <summary>The largest data offset <see cref="Write"/> accepts (9984: a header of 9974 bytes).</summary>
    internal const int MaxDataOffset = (PrefixLengthV1 + NumPyMaxHeaderLength) / Alignment * Alignment;

    /// <summary>Magic (6) + version (2) + uint32 header length: the fixed part of versions 2.0 and 3.0.</summary>
    private const int PrefixLengthV2 = 12;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>
    /// Parses and validates the header at the start of a .npy file or segment.
    /// </summary>
    /// <param name="fileStart">The first bytes of the file: at least the whole header (more is fine).</param>
    /// <param name="fileLength">The length of the whole file; the data the header describes must fit in it.</param>
    /// <exception cref="InvalidSegmentException">Anything is wrong; nothing else is ever thrown.</exception>
    internal static NpyHeaderInfo Parse(ReadOnlySpan<byte> fileStart, long fileLength)
    {
        if (fileLength < 0)
        {
            throw Invalid($"the file length {fileLength} is negative");
        }
        if (fileStart.Length > fileLength)
        {
            fileStart = fileStart[..(int)fileLength];
        }
        if (fileStart.Length < PrefixLengthV1)
        {
            throw TooShort(fileStart.Length, fileLength, "a .npy header");
        }
        if (!fileStart.StartsWith(Magic))
        {
            throw Invalid($"it does not start with the .npy magic \\x93NUMPY (found {Printable(fileStart[..Magic.Length])})");
        }

        byte major = fileStart[6];
        byte minor = fileStart[7];
        int prefixLength;
        long headerLength;
        switch ((major, minor))
        {
            case (1, 0):
                prefixLength = PrefixLengthV1;
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(fileStart[8..]);
                break;
            case (2, 0) or (3, 0): // 2.0 widened the length to 4 bytes; 3.0 made the text UTF-8 instead of Latin-1
                if (fileStart.Length < PrefixLengthV2)
                {
                    throw TooShort(fileStart.Length, fileLength, $"a version {major}.{minor} .npy header");
                }
                prefixLength = PrefixLengthV2;
                headerLength = BinaryPrimitives.ReadUInt32LittleEndian(fileStart[8..]);
                break;
            default:
                throw Invalid($".npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)");
        }

        long dataOffset = prefixLength + headerLength;
        if (dataOffset > fileLength)
        {
            throw Invalid($"the header length field says {headerLength} bytes, which runs past the end of the file ({fileLength} bytes)");
        }
        if (dataOffset > fileStart.Length)
        {
            throw Invalid($"the header is {headerLength} bytes, longer than the {fileStart.Length} bytes read");
        }
        ReadOnlySpan<byte> text = fileStart[prefixLength..(int)dataOffset];
        if (text.IsEmpty || text[^1] != (byte)'\n')
        {
            throw Invalid("the header text does not end in a newline");
        }

        DictFields dict = ParseDict(text, major);
        long dataBytes = DataBytes(dict.DType, dict.Shape) ??
            throw Invalid($"the shape {FormatShape(dict.Shape)} of {dict.DType.Name()} elements is larger than 2^63 bytes");
        if (dataBytes > fileLength - dataOffset)
        {
            // Both are at most long.MaxValue, so their sum fits in a ulong.
            throw Invalid($"the file is truncated: the header describes {dataBytes} bytes of data at offset {dataOffset}, " +
                          $"which needs a file of {(ulong)dataOffset + (ulong)dataBytes} bytes, but the file has {fileLength} bytes");
        }

        return new NpyHeaderInfo
        {
            Descr = dict.Descr,
            DType = dict.DType,
            FortranOrder = dict.FortranOrder,
            Shape = dict.Shape,
            DataOffset = dataOffset,
            Version = (major, minor),
            DataBytes = dataBytes,
        };
    }

    /// <summary>
    /// Writes a version 1.0 header into <paramref name="destination"/> so that the data starts exactly at
    /// <paramref name="dataOffset"/>: the dict exactly as NumPy writes it, padded with spaces, with the
    /// newline at <paramref name="dataOffset"/> - 1.
    /// </summary>
    /// <returns><paramref name="dataOffset"/>.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="dtype"/> is undefined, the shape has more than <see cref="MaxRank"/> axes, a negative
    /// axis or more than 2^63 bytes of data, <paramref name="dataOffset"/> is not a multiple of 64 or too
    /// small for the text or too large for NumPy, or <paramref name="destination"/> is shorter than it.
    /// </exception>
    internal static int Write(Span<byte> destination, DType dtype, ReadOnlySpan<long> shape, int dataOffset = DefaultDataOffset)
    {
        Span<byte> dict = stackalloc byte[MaxDictLength];
        dict = dict[..FormatDict(dict, dtype, shape)];

        if (dataOffset < Alignment || dataOffset % Alignment != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dataOffset), dataOffset, $"The data offset must be a positive multiple of {Alignment}.");
        }
        int headerLength = dataOffset - PrefixLengthV1;
        if (dict.Length + 1 > headerLength)
        {
            throw new ArgumentOutOfRangeException(nameof(dataOffset), dataOffset,
                $"The header text needs {PrefixLengthV1 + dict.Length + 1} bytes, more than the data offset; use at least {MinimumDataOffset(dtype, shape)}.");
        }
        if (headerLength > NumPyMaxHeaderLength)
        {
            throw new ArgumentOutOfRangeException(nameof(dataOffset), dataOffset,
                $"NumPy refuses headers over {NumPyMaxHeaderLength} bytes by default; the data offset must be at most {MaxDataOffset}.");
        }
        if (destination.Length < dataOffset)
        {
            throw new ArgumentException($"The destination is {destination.Length} bytes, shorter than the data offset {dataOffset}.", nameof(destination));
        }

        Magic.CopyTo(destination);
        destination[6] = 1; // version 1.0: a uint16 length is plenty for a header of at most 10,000 bytes
        destination[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], (ushort)headerLength);
        dict.CopyTo(destination[PrefixLengthV1..]);
        destination[(PrefixLengthV1 + dict.Length)..(dataOffset - 1)].Fill((byte)' ');
        destination[dataOffset - 1] = (byte)'\n';
        return dataOffset;
    }

    /// <summary>
    /// The smallest multiple of 64 at which the data can start after a header for this dtype and shape,
    /// for writing ordinary .npy files that waste no space.
    /// </summary>
    /// <remarks>
    /// NumPy's own <c>np.save</c> sometimes starts the data 64 bytes later: it leaves room for the first
    /// axis to grow to 21 digits, and when the text happens to end exactly on a 64-byte boundary it still
    /// adds 64 spaces (<c>padlen = 64 - (len % 64)</c>). Readers do not care.
    /// </remarks>
    /// <exception cref="ArgumentException">As for <see cref="Write"/>.</exception>
    internal static int MinimumDataOffset(DType dtype, ReadOnlySpan<long> shape)
    {
        Span<byte> dict = stackalloc byte[MaxDictLength];
        int length = FormatDict(dict, dtype, shape);
        int needed = PrefixLengthV1 + length + 1;
        return (needed + Alignment - 1) / Alignment * Alignment;
    }

    // The longest dict, rank 32 with every axis 9223372036854775807 and descr <c16, is 726 bytes.
    private const int MaxDictLength = 768;

    /// <summary>Formats the dict text (without padding or newline) and returns its length.</summary>
    private static int FormatDict(Span<byte> destination, DType dtype, ReadOnlySpan<long> shape)
    {
        if (!DTypes.IsDefined(dtype))
        {
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a defined DType.");
        }
        if (shape.Length > MaxRank)
        {
            throw new ArgumentException($"The shape has {shape.Length} axes; at most {MaxRank} are supported.", nameof(shape));
        }
        foreach (long d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"The shape {FormatShape(shape)} has a negative axis length.", nameof(shape));
            }
        }
        if (DataBytes(dtype, shape) is null)
        {
            throw new ArgumentException($"The shape {FormatShape(shape)} of {dtype.Name()} elements is larger than 2^63 bytes.", nameof(shape));
        }

        // Keys sorted and every item followed by ", ", as NumPy builds it from the sorted dict items.
        int pos = 0;
        Append(destination, ref pos, "{'descr': '"u8);
        Append(destination, ref pos, dtype.Descr());
        Append(destination, ref pos, "', 'fortran_order': False, 'shape': ("u8);
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                Append(destination, ref pos, ", "u8);
            }
            shape[i].TryFormat(destination[pos..], out int written, default, CultureInfo.InvariantCulture);
            pos += written;
        }
        if (shape.Length == 1)
        {
            destination[pos++] = (byte)','; // Python's repr of a 1-tuple: (5,)
        }
        Append(destination, ref pos, "), }"u8);
        return pos;
    }

    private static void Append(Span<byte> destination, ref int pos, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination[pos..]);
        pos += text.Length;
    }

    private static void Append(Span<byte> destination, ref int pos, string ascii)
    {
        foreach (char c in ascii)
        {
            destination[pos++] = (byte)c;
        }
    }

    /// <summary>
    /// prod(shape) * item size, or null if that exceeds <see cref="long.MaxValue"/>. Like NumPy, the
    /// product of the non-zero axes must fit even when another axis is 0 and the array is empty: then
    /// every C or Fortran stride fits in 64 bits too, and views computed from the shape cannot overflow.
    /// </summary>
    internal static long? DataBytes(DType dtype, ReadOnlySpan<long> shape)
    {
        long bytes = dtype.ItemSize();
        bool empty = false;
        foreach (long d in shape)
        {
            if (d == 0)
            {
                empty = true;
            }
            else if (bytes > long.MaxValue / d)
            {
                return null;
            }
            else
            {
                bytes *= d;
            }
        }
        return empty ? 0 : bytes;
    }

    private static string FormatShape(ReadOnlySpan<long> shape) =>
        shape.Length == 1
            ? string.Create(CultureInfo.InvariantCulture, $"({shape[0]},)")
            : "(" + string.Join(", ", shape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";

    private static InvalidSegmentException Invalid(string message) => new(message);

    private static InvalidSegmentException TooShort(int bytesRead, long fileLength, string what) =>
        Invalid(bytesRead == fileLength
            ? $"the file is {fileLength} bytes, too short for {what}"
            : $"only {bytesRead} bytes were read, too few for {what}");
}
