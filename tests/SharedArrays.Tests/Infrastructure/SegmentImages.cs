using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using SharedArrays.Format;

namespace SharedArrays.Tests.Infrastructure;

/// <summary>
/// The bytes of segments and .npy files, built in memory by the library's own writers, for tests that
/// damage or forge them: a forger who knows the format recomputes the checksum (<see cref="Reseal"/>).
/// </summary>
internal static unsafe class SegmentImages
{
    /// <summary>A ready segment exactly as <c>SharedArray.Create</c> lays it out; the data random if <paramref name="random"/> is given.</summary>
    internal static byte[] Segment(DType dtype, long[] shape, Random? random = null)
    {
        long dataBytes = SegmentLayout.ElementCount(shape) * dtype.ItemSize();
        long length = SegmentLayout.FileLengthFor(dataBytes);
        byte[] file = new byte[length];
        fixed (byte* p = file)
        {
            SegmentLayout.WriteNew(p, length, dtype, shape, dataBytes, Guid.NewGuid(), persistent: false);
            ((ControlBlock*)(p + length - ControlBlock.Size))->State = ControlBlock.StateReady;
        }
        random?.NextBytes(file.AsSpan((int)SegmentLayout.DataOffsetOfOurs, (int)dataBytes));
        return file;
    }

    /// <summary>
    /// A plain .npy file as NumPy writes it: the dict, spaces and a newline up to a 64-byte boundary,
    /// then the data; format version <paramref name="major"/>.0.
    /// </summary>
    internal static byte[] Npy(DType dtype, long[] shape, int major = 1, bool fortranOrder = false, Random? random = null)
    {
        string dict = Dict(dtype.Descr(), fortranOrder ? "True" : "False", ShapeText(shape));
        int prefix = major == 1 ? 10 : 12;
        int dataOffset = (prefix + dict.Length + 1 + 63) / 64 * 64;
        long dataBytes = SegmentLayout.ElementCount(shape) * dtype.ItemSize();
        byte[] file = new byte[dataOffset + dataBytes];
        WriteHeader(file, major, dataOffset, dict);
        random?.NextBytes(file.AsSpan(dataOffset));
        return file;
    }

    /// <summary>The header dict as NumPy spells it.</summary>
    internal static string Dict(string descr, string fortranOrder, string shape) =>
        $"{{'descr': '{descr}', 'fortran_order': {fortranOrder}, 'shape': {shape}, }}";

    /// <summary>Python's repr of a shape tuple: (), (5,), (3, 4).</summary>
    internal static string ShapeText(IReadOnlyList<long> shape) => shape.Count == 1
        ? string.Create(CultureInfo.InvariantCulture, $"({shape[0]},)")
        : "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>
    /// Writes magic, version, length field and <paramref name="text"/> padded with spaces to a newline at
    /// <paramref name="dataOffset"/> - 1; text that does not fit is cut (so the header is broken).
    /// </summary>
    internal static void WriteHeader(Span<byte> file, int major, int dataOffset, string text)
    {
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        magic.CopyTo(file);
        file[6] = (byte)major;
        file[7] = 0;
        int prefix = major == 1 ? 10 : 12;
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(file[8..], (ushort)(dataOffset - prefix));
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(file[8..], (uint)(dataOffset - prefix));
        }
        Span<byte> header = file[prefix..dataOffset];
        header.Fill((byte)' ');
        byte[] bytes = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(text);
        bytes.AsSpan(0, Math.Min(bytes.Length, header.Length - 1)).CopyTo(header);
        header[^1] = (byte)'\n';
    }

    /// <summary>Where the control block of a segment image starts (its last 4096 bytes).</summary>
    internal static int TrailerOf(ReadOnlySpan<byte> segment) => segment.Length - ControlBlock.Size;

    /// <summary>Recomputes the control block checksum, as a forger who read docs/format.md would.</summary>
    internal static void Reseal(Span<byte> file, int trailer) =>
        BinaryPrimitives.WriteUInt64LittleEndian(file[(trailer + 352)..], ControlBlock.ComputeChecksum(file[trailer..]));

    /// <summary>Writes a little-endian integer of <paramref name="size"/> bytes (4 or 8) at <paramref name="offset"/>.</summary>
    internal static void Write(Span<byte> file, int offset, int size, long value)
    {
        if (size == 4)
        {
            BinaryPrimitives.WriteInt32LittleEndian(file[offset..], unchecked((int)value));
        }
        else
        {
            BinaryPrimitives.WriteInt64LittleEndian(file[offset..], value);
        }
    }

    /// <summary>Creates (or replaces) <paramref name="path"/> with mode 0600, as our own segments have.</summary>
    internal static void WriteFile(string path, ReadOnlySpan<byte> bytes)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(path, options))
        {
            stream.Write(bytes);
        }
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
