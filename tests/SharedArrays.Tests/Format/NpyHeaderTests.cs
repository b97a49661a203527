using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using CsCheck;
using SharedArrays.Format;

namespace SharedArrays.Tests.Format;

/// <summary>
/// The .npy header codec: headers exactly as NumPy writes them, round trips of our own, every malformed
/// case, and fuzzing that holds <see cref="NpyHeader.Parse"/> to its contract (a header that parses
/// describes data inside the file; anything else is an <see cref="InvalidSegmentException"/>).
/// </summary>
public class NpyHeaderTests
{
    private static string Spaces(int count) => new(' ', count);

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    // ---------------------------------------------------------------------------------------------
    // Real NumPy output: the header bytes of np.save (np.lib.format.write_array for versions 2.0 and
    // 3.0) from NumPy 1.24.2, copied verbatim. NumPy pads the dict with up to 21 spaces of room for
    // the first axis to grow, then to a multiple of 64 bytes, and ends with '\n'.
    // ---------------------------------------------------------------------------------------------

    private static readonly (string Header, long DataBytes, DType DType, bool FortranOrder, long[] Shape, byte Major)[] NumpySamples =
    [
        // np.save(f, np.zeros((3, 4))): header 128 bytes, data 96 bytes
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }" + Spaces(58) + "\n", 96, DType.Float64, false, [3, 4], 1),
        // np.zeros(5, dtype=np.int32)
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }" + Spaces(60) + "\n", 20, DType.Int32, false, [5], 1),
        // np.zeros((), dtype=bool)
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '|b1', 'fortran_order': False, 'shape': (), }" + Spaces(62) + "\n", 1, DType.Bool, false, [], 1),
        // np.zeros((2, 3), dtype=np.complex64, order='F')
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '<c8', 'fortran_order': True, 'shape': (2, 3), }" + Spaces(59) + "\n", 48, DType.Complex64, true, [2, 3], 1),
        // np.zeros((0, 7), dtype=np.uint8)
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '|u1', 'fortran_order': False, 'shape': (0, 7), }" + Spaces(58) + "\n", 0, DType.UInt8, false, [0, 7], 1),
        // write_array(f, np.zeros(2, dtype=np.float16), version=(2, 0))
        ("\u0093NUMPY\u0002\u0000t\u0000\u0000\u0000{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }" + Spaces(58) + "\n", 4, DType.Float16, false, [2], 2),
        // the same with version=(3, 0)
        ("\u0093NUMPY\u0003\u0000t\u0000\u0000\u0000{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }" + Spaces(58) + "\n", 4, DType.Float16, false, [2], 3),
        // np.zeros((1,) * 32, dtype=np.int64): header 192 bytes
        ("\u0093NUMPY\u0001\u0000\u00b6\u0000{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), }" + Spaces(32) + "\n", 8, DType.Int64, false, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 1),
        // np.zeros((12345678, 0, 2), dtype=np.complex128)
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '<c16', 'fortran_order': False, 'shape': (12345678, 0, 2), }" + Spaces(47) + "\n", 0, DType.Complex128, false, [12345678, 0, 2], 1),
        // np.zeros((2, 1), dtype=...) for the remaining dtypes
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '|i1', 'fortran_order': False, 'shape': (2, 1), }" + Spaces(58) + "\n", 2, DType.Int8, false, [2, 1], 1),
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '<i2', 'fortran_order': False, 'shape': (2, 1), }" + Spaces(58) + "\n", 4, DType.Int16, false, [2, 1], 1),
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '<u2', 'fortran_order': False, 'shape': (2, 1), }" + Spaces(58) + "\n", 4, DType.UInt16, false, [2, 1], 1),
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '<u4', 'fortran_order': False, 'shape': (2, 1), }" + Spaces(58) + "\n", 8, DType.UInt32, false, [2, 1], 1),
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '<u8', 'fortran_order': False, 'shape': (2, 1), }" + Spaces(58) + "\n", 16, DType.UInt64, false, [2, 1], 1),
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }" + Spaces(58) + "\n", 8, DType.Float32, false, [2, 1], 1),
        ("\u0093NUMPY\u0001\u0000v\u0000{'descr': '<c16', 'fortran_order': False, 'shape': (2, 1), }" + Spaces(57) + "\n", 32, DType.Complex128, false, [2, 1], 1),
    ];

    public static TheoryData<string, long, DType, bool, long[], byte> NumpyHeaders
    {
        get
        {
            var data = new TheoryData<string, long, DType, bool, long[], byte>();
            foreach (var s in NumpySamples)
            {
                data.Add(s.Header, s.DataBytes, s.DType, s.FortranOrder, s.Shape, s.Major);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(NumpyHeaders))]
    public void Headers_written_by_numpy_parse(string header, long dataBytes, DType dtype, bool fortranOrder, long[] shape, byte major)
    {
        byte[] bytes = Latin1(header);
        Assert.Equal(0, bytes.Length % 64); // NumPy's alignment, checked so a typo in the table shows here

        NpyHeaderInfo info = NpyHeader.Parse(bytes, bytes.Length + dataBytes);

        Assert.Equal(dtype, info.DType);
        Assert.Equal(dtype.Descr(), info.Descr);
        Assert.Equal(fortranOrder, info.FortranOrder);
        Assert.Equal(shape, info.Shape);
        Assert.Equal(bytes.Length, info.DataOffset);
        Assert.Equal(dataBytes, info.DataBytes);
        Assert.Equal((major, (byte)0), info.Version);
    }

    [Theory]
    [MemberData(nameof(NumpyHeaders))]
    public void Headers_written_by_numpy_need_their_data_in_the_file(string header, long dataBytes, DType dtype, bool fortranOrder, long[] shape, byte major)
    {
        _ = (dtype, fortranOrder, shape, major);
        byte[] bytes = Latin1(header);
        if (dataBytes == 0)
        {
            Assert.Equal(0, NpyHeader.Parse(bytes, bytes.Length).DataBytes);
            return;
        }
        var e = Assert.Throws<InvalidSegmentException>(() => NpyHeader.Parse(bytes, bytes.Length + dataBytes - 1));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{bytes.Length + dataBytes} bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{bytes.Length + dataBytes - 1} bytes", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(NumpyHeaders))]
    public void Write_produces_numpys_bytes_at_numpys_offset(string header, long dataBytes, DType dtype, bool fortranOrder, long[] shape, byte major)
    {
        _ = dataBytes;
        if (fortranOrder || major != 1)
        {
            return; // we only write C-order version 1.0 headers
        }
        byte[] expected = Latin1(header);
        byte[] written = new byte[expected.Length];
        Assert.Equal(expected.Length, NpyHeader.Write(written, dtype, shape, expected.Length));
        Assert.Equal(expected, written);
    }

    [Fact]
    public void Parse_reads_only_the_header_and_ignores_what_follows()
    {
        // np.save output followed by the data and a control block: the mapped segment case.
        byte[] header = Latin1(NumpySamples[0].Header);
        byte[] file = new byte[header.Length + 96 + 4096];
        header.CopyTo(file, 0);
        file.AsSpan(header.Length).Fill(0xAB);
        NpyHeaderInfo info = NpyHeader.Parse(file, file.Length);
        Assert.Equal(128, info.DataOffset);
        Assert.Equal(96, info.DataBytes);
    }

    // ---------------------------------------------------------------------------------------------
    // Write and MinimumDataOffset
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public void Write_places_the_data_at_4096_by_default()
    {
        byte[] page = new byte[4096 + 10];
        page.AsSpan().Fill(0xEE);
        Assert.Equal(4096, NpyHeader.Write(page, DType.Float64, [1000, 1000]));

        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, page[..8]);
        Assert.Equal(4086, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(8)));
        const string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 1000), }";
        Assert.Equal(dict, Encoding.ASCII.GetString(page, 10, dict.Length));
        Assert.All(page[(10 + dict.Length)..4095], b => Assert.Equal((byte)' ', b));
        Assert.Equal((byte)'\n', page[4095]);
        Assert.All(page[4096..], b => Assert.Equal(0xEE, b)); // nothing written past the header
    }

    [Theory]
    [InlineData(new long[0], "()")]
    [InlineData(new long[] { 5 }, "(5,)")]
    [InlineData(new long[] { 0 }, "(0,)")]
    [InlineData(new long[] { 2, 0, 3 }, "(2, 0, 3)")]
    [InlineData(new long[] { 9_000_000_000 }, "(9000000000,)")]
    public void Write_spells_the_shape_as_pythons_repr_of_a_tuple(long[] shape, string expected)
    {
        byte[] header = new byte[256];
        NpyHeader.Write(header, DType.UInt8, shape, 256);
        string text = Encoding.ASCII.GetString(header, 10, 246);
        Assert.StartsWith($"{{'descr': '|u1', 'fortran_order': False, 'shape': {expected}, }} ", text, StringComparison.Ordinal);
        Assert.EndsWith(" \n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void MinimumDataOffset_is_the_smallest_multiple_of_64_that_fits()
    {
        Assert.Equal(128, NpyHeader.MinimumDataOffset(DType.Float64, [3, 4]));
        Assert.Equal(128, NpyHeader.MinimumDataOffset(DType.Bool, []));
        // rank 32 of ones: "{'descr': '<i8', ... 'shape': (1, 1, ... 1), }" is 154 bytes, + 10 + 1 = 165 -> 192
        Assert.Equal(192, NpyHeader.MinimumDataOffset(DType.Int64, Enumerable.Repeat(1L, 32).ToArray()));

        Gen.Select(GenDType, GenShape).Sample((dtype, shape) =>
        {
            if (ExpectedDataBytes(dtype, shape) > long.MaxValue)
            {
                return;
            }
            int offset = NpyHeader.MinimumDataOffset(dtype, shape);
            Assert.Equal(0, offset % 64);
            byte[] header = new byte[offset];
            NpyHeader.Write(header, dtype, shape, offset);
            Assert.Equal(offset, NpyHeader.Parse(header, offset + (long)ExpectedDataBytes(dtype, shape)).DataOffset);
            // 64 bytes less never fits: the text is longer than offset - 64 - 11.
            Assert.ThrowsAny<ArgumentException>(() => NpyHeader.Write(header, dtype, shape, offset - 64));
        }, iter: 2_000);
    }

    [Fact]
    public void Write_rejects_bad_arguments()
    {
        byte[] big = new byte[16384];
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyHeader.Write(big, DType.Float64, [3], 100));   // not a multiple of 64
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyHeader.Write(big, DType.Float64, [3], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyHeader.Write(big, DType.Float64, [3], -64));
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyHeader.Write(big, DType.Float64, [3], 64));    // the text needs 128
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyHeader.Write(big, DType.Float64, [3], 10048)); // NumPy's 10,000 limit
        Assert.Equal(NpyHeader.MaxDataOffset, NpyHeader.Write(big, DType.Float64, [3], NpyHeader.MaxDataOffset));
        Assert.Throws<ArgumentException>(() => NpyHeader.Write(new byte[4095], DType.Float64, [3]));      // destination too short
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyHeader.Write(big, (DType)0, [3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyHeader.Write(big, (DType)15, [3]));
        Assert.Throws<ArgumentException>(() => NpyHeader.Write(big, DType.Float64, [3, -1]));
        Assert.Throws<ArgumentException>(() => NpyHeader.Write(big, DType.Float64, new long[33]));
        Assert.Throws<ArgumentException>(() => NpyHeader.Write(big, DType.Float64, [1L << 62, 16]));
        Assert.Throws<ArgumentException>(() => NpyHeader.MinimumDataOffset(DType.Float64, [0, 1L << 62, 16]));
        Assert.Equal(4096, NpyHeader.Write(big, DType.UInt8, [long.MaxValue])); // exactly 2^63 - 1 bytes is fine
    }

    // ---------------------------------------------------------------------------------------------
    // Round trips and the Python literal syntax
    // ---------------------------------------------------------------------------------------------

    private static readonly Gen<DType> GenDType = Gen.Int[1, 14].Select(i => (DType)i);

    /// <summary>Rank 0 to 32; mostly small axes and zeros, sometimes huge ones (which may overflow).</summary>
    private static readonly Gen<long[]> GenShape = Gen.Int[0, 32].SelectMany(rank =>
        Gen.Frequency(
            (40, Gen.Long[0, 3]),
            (4, Gen.Long[0, 100_000]),
            (1, Gen.Long[0, long.MaxValue])).Array[rank]);

    /// <summary>prod(shape) * item size, computed independently; more than 2^63 - 1 whenever NumPy would call it too big.</summary>
    private static BigInteger ExpectedDataBytes(DType dtype, long[] shape)
    {
        BigInteger nonZero = dtype.ItemSize();
        foreach (long d in shape)
        {
            nonZero *= d == 0 ? 1 : d;
        }
        return nonZero > long.MaxValue || !shape.Contains(0) ? nonZero : 0;
    }

    [Fact]
    public void Every_dtype_and_random_shapes_round_trip()
    {
        long parsed = 0;
        long refused = 0;
        Gen.Select(GenDType, GenShape, Gen.Bool).Sample((dtype, shape, atDefaultOffset) =>
        {
            BigInteger dataBytes = ExpectedDataBytes(dtype, shape);
            byte[] header = new byte[4096];
            if (dataBytes > long.MaxValue)
            {
                Assert.Throws<ArgumentException>(() => NpyHeader.Write(header, dtype, shape));
                Interlocked.Increment(ref refused);
                return;
            }
            int offset = atDefaultOffset ? 4096 : NpyHeader.MinimumDataOffset(dtype, shape);
            Assert.Equal(offset, NpyHeader.Write(header, dtype, shape, offset));

            // A file just long enough; the data would end past long.MaxValue in a few extreme cases.
            long fileLength = dataBytes + offset > long.MaxValue ? long.MaxValue : offset + (long)dataBytes;
            if (dataBytes + offset > long.MaxValue)
            {
                Assert.Throws<InvalidSegmentException>(() => NpyHeader.Parse(header, fileLength));
                return;
            }
            NpyHeaderInfo info = NpyHeader.Parse(header, fileLength);
            Assert.Equal(dtype, info.DType);
            Assert.Equal(dtype.Descr(), info.Descr);
            Assert.False(info.FortranOrder);
            Assert.Equal(shape, info.Shape);
            Assert.Equal(offset, info.DataOffset);
            Assert.Equal((long)dataBytes, info.DataBytes);
            Assert.Equal(((byte)1, (byte)0), info.Version);
            if (dataBytes > 0)
            {
                Assert.Throws<InvalidSegmentException>(() => NpyHeader.Parse(header, fileLength - 1));
            }
            Interlocked.Increment(ref parsed);
        }, iter: 5_000);
        Assert.True(parsed > 2_500, $"only {parsed} shapes round-tripped");
        Assert.True(refused > 0, "the generator never produced an overflowing shape");
    }

    /// <summary>A header built from the Python literal syntax writers may use, and what it means.</summary>
    private sealed record LiteralCase(byte[] Bytes, long FileLength, DType DType, string Descr, bool FortranOrder, long[] Shape, byte Major);

    private static readonly Gen<string> GenSpace = Gen.OneOf("", "", " ", "  ", "\t", "\n", " \n ", "\r\n", "\f");

    private static readonly Gen<LiteralCase> GenLiteral =
        Gen.Select(GenDType, Gen.Int[0, 8].SelectMany(rank => Gen.Long[0, 5].Array[rank]), Gen.Bool, Gen.Int[1, 3])
            .SelectMany(t => Gen.Select(GenSpace.Array[16], Gen.Bool.Array[8], Gen.Int[0, 5], Gen.Int[0, 2], Gen.Int[0, 3]), (t, u) =>
            {
                (DType dtype, long[] shape, bool fortran, int major) = t;
                (string[] ws, bool[] flags, int order, int extraPages, int spareData) = u;
                int w = 0;
                string Q(string s, bool doubleQuotes) => doubleQuotes ? $"\"{s}\"" : $"'{s}'";
                string descr = flags[3] && dtype.ItemSize() > 1 ? "<" + dtype.ShortName().ToUpperInvariant() : dtype.Descr();
                string suffix = flags[4] && major < 3 ? (flags[5] ? "L" : "l") : "";
                string dims = string.Join(ws[w++] + "," + ws[w++], shape.Select(d => d + suffix));
                bool tupleComma = shape.Length == 1 || (shape.Length > 1 && flags[6]);
                string shapeText = "(" + ws[w++] + dims + (tupleComma ? ws[w++] + "," : "") + ws[w++] + ")";
                string[] items =
                [
                    Q("descr", flags[0]) + ws[w++] + ":" + ws[w++] + Q(descr, flags[1]),
                    Q("fortran_order", flags[2]) + ws[w++] + ":" + ws[w++] + (fortran ? "True" : "False"),
                    Q("shape", !flags[0]) + ws[w++] + ":" + ws[w++] + shapeText,
                ];
                int[][] orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
                string body = string.Join(ws[w++] + "," + ws[w++], orders[order].Select(i => items[i]));
                string dict = ws[w++] + "{" + ws[w++] + body + (flags[7] ? "," + ws[w] : "") + "}";

                int prefix = major == 1 ? 10 : 12;
                int total = (prefix + dict.Length + 1 + 63) / 64 * 64 + extraPages * 64;
                byte[] bytes = new byte[total];
                bytes[0] = 0x93;
                "NUMPY"u8.CopyTo(bytes.AsSpan(1));
                bytes[6] = (byte)major;
                if (major == 1)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)(total - prefix));
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)(total - prefix));
                }
                Encoding.ASCII.GetBytes(dict).CopyTo(bytes, prefix);
                bytes.AsSpan(prefix + dict.Length).Fill((byte)' ');
                bytes[^1] = (byte)'\n';
                long dataBytes = (long)ExpectedDataBytes(dtype, shape);
                return new LiteralCase(bytes, total + dataBytes + spareData, dtype, descr, fortran, shape, (byte)major);
            });

    [Fact]
    public void Any_python_literal_spelling_of_a_valid_header_parses()
    {
        GenLiteral.Sample(c =>
        {
            NpyHeaderInfo info = NpyHeader.Parse(c.Bytes, c.FileLength);
            Assert.Equal(c.DType, info.DType);
            Assert.Equal(c.Descr, info.Descr);
            Assert.Equal(c.FortranOrder, info.FortranOrder);
            Assert.Equal(c.Shape, info.Shape);
            Assert.Equal(c.Bytes.Length, info.DataOffset);
            Assert.Equal((c.Major, (byte)0), info.Version);
        }, iter: 5_000, print: c => Encoding.Latin1.GetString(c.Bytes));
    }

    [Theory]
    [InlineData("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (3, 4)}")]
    [InlineData("{'shape': (3, 4), 'fortran_order': False, 'descr': '<f8'}")]
    [InlineData("{'descr':'<f8','fortran_order':False,'shape':(3,4,),}")]
    [InlineData("{'descr': '<f8',\n 'fortran_order': False,\n 'shape': (3L, 4L)}")]
    [InlineData("  {'descr': '<f8', 'fortran_order': False, 'shape': ( 3 , 4 ) , }")]
    [InlineData("{'descr': 'f8', 'fortran_order': False, 'shape': (3, 4)}")]
    [InlineData("{'descr': '=f8', 'fortran_order': False, 'shape': (+3, 4)}")]
    [InlineData("{'descr': 'float64', 'fortran_order': False, 'shape': (3, 4)}")]
    public void Other_writers_spellings_parse(string dict)
    {
        byte[] header = Header(dict);
        NpyHeaderInfo info = NpyHeader.Parse(header, header.Length + 96);
        Assert.Equal(DType.Float64, info.DType);
        Assert.Equal([3L, 4L], info.Shape);
        Assert.False(info.FortranOrder);
    }

    [Fact]
    public void Version_2_headers_may_be_longer_than_64_KiB()
    {
        // Version 2.0 exists for headers that do not fit a uint16 length (huge structured dtypes).
        byte[] header = Header("{'descr': '<i2', 'fortran_order': True, 'shape': (7,), }", major: 2, padTo: 70_016);
        NpyHeaderInfo info = NpyHeader.Parse(header, header.Length + 14);
        Assert.Equal(70_016, info.DataOffset);
        Assert.True(info.FortranOrder);
        Assert.Equal(((byte)2, (byte)0), info.Version);
    }

    // ---------------------------------------------------------------------------------------------
    // Malformed headers
    // ---------------------------------------------------------------------------------------------

    /// <summary>
    /// Magic, version, length field, the dict text, spaces to a multiple of 64 (or <paramref name="padTo"/>)
    /// and '\n': built here, independently of <see cref="NpyHeader.Write"/>.
    /// </summary>
    private static byte[] Header(string dict, byte major = 1, int padTo = 0)
    {
        int prefix = major == 1 ? 10 : 12;
        byte[] text = Encoding.UTF8.GetBytes(dict);
        int total = padTo > 0 ? padTo : (prefix + text.Length + 1 + 63) / 64 * 64;
        byte[] bytes = new byte[total];
        bytes[0] = 0x93;
        "NUMPY"u8.CopyTo(bytes.AsSpan(1));
        bytes[6] = major;
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), checked((ushort)(total - prefix)));
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)(total - prefix));
        }
        text.CopyTo(bytes, prefix);
        bytes.AsSpan(prefix + text.Length).Fill((byte)' ');
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    private static byte[] Numpy3x4Float64() => Latin1(NumpySamples[0].Header);

    private static byte[] With(byte[] bytes, Action<byte[]> change)
    {
        byte[] copy = (byte[])bytes.Clone();
        change(copy);
        return copy;
    }

    private const long Generous = 1L << 40; // a file length that never limits the data

    public static readonly TheoryData<string, byte[], long, string> Malformed = new()
    {
        { "empty file", [], 0, "too short" },
        { "nine bytes", Numpy3x4Float64()[..9], 9, "too short" },
        { "version 2 without its length field", Header("{}", 2)[..11], 11, "too short" },
        { "wrong magic", With(Numpy3x4Float64(), b => b[5] = (byte)'Z'), 224, "magic" },
        { "zip file (.npz)", [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0], 12, "magic" },
        { "version 0.0", With(Numpy3x4Float64(), b => b[6] = 0), 224, "version 0.0" },
        { "version 1.1", With(Numpy3x4Float64(), b => b[7] = 1), 224, "version 1.1" },
        { "version 4.0", With(Numpy3x4Float64(), b => b[6] = 4), 224, "version 4.0" },
        { "header length past the end of the file", With(Numpy3x4Float64(), b => b[9] = 1), 224, "past the end of the file (224 bytes)" },
        { "header length zero", With(Numpy3x4Float64(), b => b[8] = 0), 224, "newline" },
        { "no final newline", With(Numpy3x4Float64(), b => b[^1] = (byte)' '), 224, "newline" },
        { "not a dict", Header("[('descr', '<f8')]"), Generous, "'{'" },
        { "empty dict", Header("{}"), Generous, "lacks 'descr', 'fortran_order', 'shape'" },
        { "missing descr", Header("{'fortran_order': False, 'shape': (3,), }"), Generous, "lacks 'descr'" },
        { "missing fortran_order", Header("{'descr': '<f8', 'shape': (3,), }"), Generous, "lacks 'fortran_order'" },
        { "missing shape", Header("{'descr': '<f8', 'fortran_order': False, }"), Generous, "lacks 'shape'" },
        { "extra key", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'version': 2, }"), Generous, "unexpected key 'version'" },
        { "repeated key", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), \"descr\": '<f8'}"), Generous, "repeats the key 'descr'" },
        { "key not a string", Header("{descr: '<f8', 'fortran_order': False, 'shape': (3,)}"), Generous, "quoted key" },
        { "key with an escape", Header("{'descr\\x00': '<f8', 'fortran_order': False, 'shape': (3,)}"), Generous, "unexpected key" },
        { "string dtype", Header("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }"), Generous, "'<U3' is not supported" },
        { "object dtype", Header("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"), Generous, "'|O' is not supported" },
        { "datetime dtype", Header("{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (1,), }"), Generous, "not supported" },
        { "long double", Header("{'descr': '<f16', 'fortran_order': False, 'shape': (1,), }"), Generous, "not supported" },
        { "void dtype", Header("{'descr': '|V8', 'fortran_order': False, 'shape': (1,), }"), Generous, "not supported" },
        { "structured dtype", Header("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }"), Generous, "structured" },
        { "sub-array dtype", Header("{'descr': ('<f8', (2,)), 'fortran_order': False, 'shape': (1,), }"), Generous, "structured or sub-array" },
        { "descr not a string", Header("{'descr': 8, 'fortran_order': False, 'shape': (1,), }"), Generous, "quoted descr" },
        { "big-endian float64", Header("{'descr': '>f8', 'fortran_order': False, 'shape': (7,), }"), Generous, "big-endian" },
        { "big-endian int32, network order", Header("{'descr': '!i4', 'fortran_order': False, 'shape': (7,), }"), Generous, "big-endian" },
        { "fortran_order 0", Header("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }"), Generous, "True or False" },
        { "fortran_order a string", Header("{'descr': '<f8', 'fortran_order': 'False', 'shape': (1,), }"), Generous, "True or False" },
        { "fortran_order lowercase", Header("{'descr': '<f8', 'fortran_order': false, 'shape': (1,), }"), Generous, "True or False" },
        { "negative axis", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (3, -1), }"), Generous, "negative length -1" },
        { "axis over 64 bits", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }"), Generous, "64 bits" },
        { "(2**62, 16) float64 overflows", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 16), }"), long.MaxValue, "2^63" },
        { "(2**62, 2) uint8 is 2^63 bytes", Header("{'descr': '|u1', 'fortran_order': False, 'shape': (4611686018427387904, 2), }"), long.MaxValue, "2^63" },
        { "an empty axis does not excuse an overflow", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4611686018427387904, 16), }"), long.MaxValue, "2^63" },
        { "rank 33", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (" + string.Join(", ", Enumerable.Repeat("1", 33)) + "), }"), Generous, "more than 32 axes" },
        { "shape a parenthesised int", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (5), }"), Generous, "not a tuple" },
        { "shape a list", Header("{'descr': '<f8', 'fortran_order': False, 'shape': [3, 4], }"), Generous, "shape tuple" },
        { "shape None", Header("{'descr': '<f8', 'fortran_order': False, 'shape': None, }"), Generous, "shape tuple" },
        { "float axis", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (3.0,), }"), Generous, "',' or ')'" },
        { "string axis", Header("{'descr': '<f8', 'fortran_order': False, 'shape': ('3',), }"), Generous, "an integer for axis 0" },
        { "empty axis slot", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,,), }"), Generous, "an integer for axis 1" },
        { "python 2 long in version 3.0", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (3L,), }", major: 3), Generous, "',' or ')'" },
        { "text after the dict", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), } x"), Generous, "after the header dict" },
        { "unclosed dict", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), "), Generous, "quoted key" },
        { "closing quote missing", Header("{'descr': '<f8, 'fortran_order': False, 'shape': (3,)}"), Generous, "'<f8, ' is not supported" },
        { "string running into the newline", Header("{'descr': '<f8"), Generous, "not terminated" },
        { "missing colon", Header("{'descr' '<f8', 'fortran_order': False, 'shape': (3,)}"), Generous, "':' after a key" },
        { "missing comma", Header("{'descr': '<f8' 'fortran_order': False, 'shape': (3,)}"), Generous, "',' or '}'" },
        { "data past the end of the file", Numpy3x4Float64(), 223, "needs a file of 224 bytes, but the file has 223 bytes" },
        { "data far past the end of the file", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846975,), }"), long.MaxValue, "truncated" },
        { "negative file length", Numpy3x4Float64(), -1, "negative" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_headers_are_InvalidSegmentException(string what, byte[] bytes, long fileLength, string messagePart)
    {
        var e = Assert.Throws<InvalidSegmentException>(() => NpyHeader.Parse(bytes, fileLength));
        Assert.True(e.Message.Contains(messagePart, StringComparison.Ordinal), $"{what}: the message \"{e.Message}\" lacks \"{messagePart}\"");
        Assert.Null(e.SegmentName); // the caller adds the name
    }

    [Fact]
    public void A_header_longer_than_the_bytes_read_is_refused_even_if_the_file_has_it()
    {
        byte[] header = Numpy3x4Float64();
        var e = Assert.Throws<InvalidSegmentException>(() => NpyHeader.Parse(header.AsSpan(0, 100), 224));
        Assert.Contains("longer than the 100 bytes read", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_never_looks_past_the_file_length_even_when_given_more_bytes()
    {
        byte[] header = Numpy3x4Float64();
        var e = Assert.Throws<InvalidSegmentException>(() => NpyHeader.Parse(header, 100));
        Assert.Contains("past the end of the file (100 bytes)", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidSegmentException>(() => NpyHeader.Parse(header, 5));
    }

    [Fact]
    public void Messages_escape_unprintable_bytes()
    {
        byte[] bytes = Header("{'descr': '<f\u0001', 'fortran_order': False, 'shape': (1,), }");
        var e = Assert.Throws<InvalidSegmentException>(() => NpyHeader.Parse(bytes, Generous));
        Assert.Contains("'<f\\x01'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0001', e.Message);
    }

    // ---------------------------------------------------------------------------------------------
    // Fuzzing: anything in, a safe header or InvalidSegmentException out
    // ---------------------------------------------------------------------------------------------

    /// <summary>The whole contract of Parse for arbitrary input; any other exception escapes and fails the sample.</summary>
    private static bool CheckParse(byte[] bytes, long fileLength)
    {
        NpyHeaderInfo info;
        try
        {
            info = NpyHeader.Parse(bytes, fileLength);
        }
        catch (InvalidSegmentException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            return false;
        }
        Assert.InRange(info.DataOffset, 10, Math.Min(bytes.Length, fileLength));
        Assert.InRange(info.DataBytes, 0, fileLength - info.DataOffset);
        Assert.InRange(info.Shape.Length, 0, 32);
        foreach (long d in info.Shape)
        {
            Assert.True(d >= 0, $"negative axis {d}");
        }
        Assert.Equal(ExpectedDataBytes(info.DType, info.Shape), new BigInteger(info.DataBytes));
        Assert.True(DTypes.ParseCore(info.Descr, out DType fromDescr) == DTypes.SpellingStatus.Ok && fromDescr == info.DType);
        Assert.InRange(info.Version.Major, 1, 3);
        Assert.Equal(0, info.Version.Minor);
        return true;
    }

    [Fact]
    public void Random_bytes_give_InvalidSegmentException_or_a_safe_header()
    {
        // Pure noise rarely gets past the magic, so most samples start with a real prefix.
        var gen = Gen.Select(Gen.Byte.Array[0, 160], Gen.Int[0, 3], Gen.Int[-16, 400], Gen.Bool);
        long cases = 0;
        gen.Sample((noise, prefixKind, slack, hugeFile) =>
        {
            byte[] bytes = prefixKind switch
            {
                0 => noise,
                1 => [0x93, .. "NUMPY"u8, .. noise],
                2 => [0x93, .. "NUMPY"u8, (byte)(1 + noise.Length % 3), 0, .. noise],
                _ => [0x93, .. "NUMPY"u8, 1, 0, (byte)Math.Max(0, noise.Length - 1), 0, .. noise],
            };
            CheckParse(bytes, hugeFile ? long.MaxValue : Math.Max(0, bytes.Length + slack));
            Interlocked.Increment(ref cases);
        }, iter: 40_000);
        Assert.Equal(40_000, cases);
    }

    /// <summary>Bytes that matter to the grammar, for inserting and overwriting.</summary>
    private static readonly byte[] Interesting = "0123456789 ,:()[]{}'\"\n\t\r-+LlTFx\\."u8.ToArray();

    /// <summary>Tokens to splice in: extreme numbers, keys, values, structure.</summary>
    private static readonly byte[][] Tokens =
    [
        .. new[]
        {
            "9223372036854775807", "9223372036854775808", "4611686018427387904", "18446744073709551616", "-1", "0", "00", "L",
            "True", "False", "None", "'descr': '<f8', ", "'shape': (), ", "'fortran_order': True, ", "'>f8'", "'<U8'",
            "(2, 3,)", "(5)", "'x': 1, ", ", 16", "\n", "}", "{", "'", "\"", "\\", "[('a', '<f8')]", "\u00e9",
        }.Select(t => Encoding.UTF8.GetBytes(t)),
    ];

    private static readonly (byte[] Bytes, long FileLength)[] NumpyValid =
        [.. NumpySamples.Select(s => (Latin1(s.Header), Latin1(s.Header).Length + s.DataBytes))];

    private static readonly Gen<(byte[] Bytes, long FileLength)> GenValid = Gen.Frequency(
        (2, Gen.Int[0, NumpyValid.Length - 1].Select(i => NumpyValid[i])),
        (3, Gen.Select(GenDType, Gen.Int[0, 6].SelectMany(rank => Gen.Long[0, 4].Array[rank])).Select((dtype, shape) =>
        {
            int offset = NpyHeader.MinimumDataOffset(dtype, shape);
            byte[] header = new byte[offset];
            NpyHeader.Write(header, dtype, shape, offset);
            return (header, offset + (long)ExpectedDataBytes(dtype, shape));
        })),
        (3, GenLiteral.Select(c => (c.Bytes, c.FileLength))));

    private static readonly string[] Numbers =
    [
        "0", "1", "2", "-1", "-0", "+7", "16", "65536", "2147483648", "3037000500", "4294967296",
        "4611686018427387904", "9223372036854775807", "9223372036854775808", "99999999999999999999", "1L", "007",
    ];

    private static bool IsDigit(List<byte> bytes, int i) => i >= 0 && i < bytes.Count && bytes[i] is >= (byte)'0' and <= (byte)'9';

    private static byte[] Mutate(byte[] original, (int Kind, int Where, byte Value)[] mutations, bool fixLengthField)
    {
        var bytes = new List<byte>(original);
        foreach ((int kind, int where, byte value) in mutations)
        {
            int at = bytes.Count == 0 ? 0 : where % bytes.Count;
            int gap = where % (bytes.Count + 1);
            switch (kind)
            {
                case 0 when bytes.Count > 0: bytes[at] ^= (byte)(1 << (value & 7)); break;
                case 1 when bytes.Count > 0: bytes[at] = value; break;
                case 2 when bytes.Count > 0: bytes[at] = Interesting[value % Interesting.Length]; break;
                case 3: bytes.Insert(gap, Interesting[value % Interesting.Length]); break;
                case 4 when bytes.Count > 0: bytes.RemoveAt(at); break;
                case 5: // change a digit, most often one of the shape's
                    int[] digits = [.. Enumerable.Range(0, bytes.Count).Where(i => bytes[i] is >= (byte)'0' and <= (byte)'9')];
                    if (digits.Length > 0)
                    {
                        bytes[digits[where % digits.Length]] = (byte)('0' + value % 10);
                    }
                    break;
                case 6: bytes.InsertRange(gap, Tokens[value % Tokens.Length]); break;
                case 7 when bytes.Count > 8: bytes[8 + (value & 3) % (bytes.Count - 8)] = (byte)where; break; // the length field
                case 8 when bytes.Count > 0: bytes.RemoveRange(at, bytes.Count - at); break; // truncate
                case 9: // replace a whole number with an extreme one
                    int[] starts = [.. Enumerable.Range(0, bytes.Count).Where(i => IsDigit(bytes, i) && !IsDigit(bytes, i - 1))];
                    if (starts.Length > 0)
                    {
                        int start = starts[where % starts.Length];
                        int end = start;
                        while (IsDigit(bytes, end))
                        {
                            end++;
                        }
                        bytes.RemoveRange(start, end - start);
                        bytes.InsertRange(start, Encoding.ASCII.GetBytes(Numbers[value % Numbers.Length]));
                    }
                    break;
                case 10: // add axes after '(' (rank 33 and beyond, products that overflow)
                    int paren = bytes.IndexOf((byte)'(');
                    if (paren >= 0)
                    {
                        bytes.InsertRange(paren + 1, Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(Numbers[where % Numbers.Length] + ", ", value % 40))));
                    }
                    break;
            }
        }
        byte[] result = [.. bytes];
        // After an insertion or deletion the length field is stale and every case would stop at the
        // "newline" check; refreshing it sends the mutation into the dict parser.
        if (fixLengthField && result.Length >= 12 && result[0] == 0x93 && result[6] is 1 or 2 or 3)
        {
            if (result[6] == 1 && result.Length - 10 <= ushort.MaxValue)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)(result.Length - 10));
            }
            else if (result[6] != 1)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)(result.Length - 12));
            }
        }
        return result;
    }

    [Fact]
    public void Mutated_valid_headers_give_InvalidSegmentException_or_a_safe_header()
    {
        var mutation = Gen.Select(Gen.Int[0, 10], Gen.Int[0, 1 << 20], Gen.Byte);
        var gen = Gen.Select(GenValid, mutation.Array[1, 4], Gen.Int[0, 3].Select(i => i != 0), Gen.Int[0, 3], Gen.Int[-8, 8]);
        long cases = 0;
        long accepted = 0;
        gen.Sample((valid, mutations, fixLengthField, lengthKind, slack) =>
        {
            byte[] bytes = Mutate(valid.Bytes, mutations, fixLengthField);
            long fileLength = lengthKind switch
            {
                0 => valid.FileLength,
                1 => long.MaxValue,                      // lets grown shapes parse, to check their arithmetic
                2 => Math.Max(0, valid.FileLength + slack),
                _ => Math.Max(0, bytes.Length + slack),
            };
            if (CheckParse(bytes, fileLength))
            {
                Interlocked.Increment(ref accepted);
            }
            Interlocked.Increment(ref cases);
        }, iter: 80_000, print: t => $"{Convert.ToHexString(Mutate(t.Item1.Bytes, t.Item2, t.Item3))} fileLength kind {t.Item4}");
        Assert.Equal(80_000, cases);
        // Sanity of the generator: some mutations are harmless (spaces, digits), most are not.
        Assert.InRange(accepted, 1_000, 79_000);
    }

    // ---------------------------------------------------------------------------------------------
    // DType and DTypes
    // ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(DType.Bool, 1, 1, "|b1", "b1", "bool")]
    [InlineData(DType.Int8, 2, 1, "|i1", "i1", "int8")]
    [InlineData(DType.UInt8, 3, 1, "|u1", "u1", "uint8")]
    [InlineData(DType.Int16, 4, 2, "<i2", "i2", "int16")]
    [InlineData(DType.UInt16, 5, 2, "<u2", "u2", "uint16")]
    [InlineData(DType.Int32, 6, 4, "<i4", "i4", "int32")]
    [InlineData(DType.UInt32, 7, 4, "<u4", "u4", "uint32")]
    [InlineData(DType.Int64, 8, 8, "<i8", "i8", "int64")]
    [InlineData(DType.UInt64, 9, 8, "<u8", "u8", "uint64")]
    [InlineData(DType.Float16, 10, 2, "<f2", "f2", "float16")]
    [InlineData(DType.Float32, 11, 4, "<f4", "f4", "float32")]
    [InlineData(DType.Float64, 12, 8, "<f8", "f8", "float64")]
    [InlineData(DType.Complex64, 13, 8, "<c8", "c8", "complex64")]
    [InlineData(DType.Complex128, 14, 16, "<c16", "c16", "complex128")]
    public void DType_facts_match_the_format_table(DType dtype, uint code, int itemSize, string descr, string shortName, string name)
    {
        Assert.Equal(code, (uint)dtype);
        Assert.Equal(itemSize, dtype.ItemSize());
        Assert.Equal(descr, dtype.Descr());
        Assert.Equal(shortName, dtype.ShortName());
        Assert.Equal(name, dtype.Name());
        Assert.True(DTypes.IsDefined(dtype));
        foreach (string spelling in new[] { descr, shortName, name, name.ToUpperInvariant(), descr.ToUpperInvariant(), "=" + shortName, "|" + shortName })
        {
            Assert.Equal(dtype, DTypes.Parse(spelling));
        }
        Assert.All(shortName, c => Assert.True(char.IsAsciiLetterOrDigit(c))); // shell- and handle-safe
    }

    [Fact]
    public void Undefined_dtypes_are_ArgumentOutOfRange()
    {
        foreach (DType bad in new[] { (DType)0, (DType)15, (DType)uint.MaxValue })
        {
            Assert.False(DTypes.IsDefined(bad));
            Assert.Throws<ArgumentOutOfRangeException>(() => bad.ItemSize());
            Assert.Throws<ArgumentOutOfRangeException>(() => bad.Descr());
            Assert.Throws<ArgumentOutOfRangeException>(() => bad.ShortName());
            Assert.Throws<ArgumentOutOfRangeException>(() => bad.Name());
        }
        Assert.Equal(14, Enum.GetValues<DType>().Length);
    }

    [Theory]
    [InlineData("float64", DType.Float64)]
    [InlineData("FLOAT64", DType.Float64)]
    [InlineData("Float64", DType.Float64)]
    [InlineData("double", DType.Float64)]
    [InlineData("float", DType.Float64)]
    [InlineData("f8", DType.Float64)]
    [InlineData("F8", DType.Float64)]
    [InlineData("<f8", DType.Float64)]
    [InlineData("=f8", DType.Float64)]
    [InlineData("|f8", DType.Float64)]
    [InlineData("single", DType.Float32)]
    [InlineData("float32", DType.Float32)]
    [InlineData("<f4", DType.Float32)]
    [InlineData("half", DType.Float16)]
    [InlineData("f2", DType.Float16)]
    [InlineData("int", DType.Int64)]
    [InlineData("intp", DType.Int64)]
    [InlineData("longlong", DType.Int64)]
    [InlineData("i8", DType.Int64)]
    [InlineData("int32", DType.Int32)]
    [InlineData("intc", DType.Int32)]
    [InlineData("i4", DType.Int32)]
    [InlineData("short", DType.Int16)]
    [InlineData("byte", DType.Int8)]
    [InlineData("|i1", DType.Int8)]
    [InlineData("uint8", DType.UInt8)]
    [InlineData("ubyte", DType.UInt8)]
    [InlineData("u1", DType.UInt8)]
    [InlineData("|u1", DType.UInt8)]
    [InlineData(">u1", DType.UInt8)]  // byte order is meaningless for one byte; NumPy agrees
    [InlineData("uint16", DType.UInt16)]
    [InlineData("ushort", DType.UInt16)]
    [InlineData("uintc", DType.UInt32)]
    [InlineData("uint", DType.UInt64)]
    [InlineData("uint64", DType.UInt64)]
    [InlineData("bool", DType.Bool)]
    [InlineData("bool_", DType.Bool)]
    [InlineData("?", DType.Bool)]
    [InlineData("b1", DType.Bool)]
    [InlineData("|b1", DType.Bool)]
    [InlineData("complex", DType.Complex128)]
    [InlineData("cdouble", DType.Complex128)]
    [InlineData("complex128", DType.Complex128)]
    [InlineData("c16", DType.Complex128)]
    [InlineData("complex64", DType.Complex64)]
    [InlineData("csingle", DType.Complex64)]
    [InlineData("<c8", DType.Complex64)]
    public void DType_Parse_accepts_numpy_spellings(string text, DType expected)
    {
        Assert.Equal(expected, DTypes.Parse(text));
        Assert.True(DTypes.TryParse(text, out DType parsed));
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData(">f8")]
    [InlineData(">i2")]
    [InlineData(">c16")]
    [InlineData("!f4")]
    public void DType_Parse_refuses_big_endian_by_name(string text)
    {
        var e = Assert.Throws<FormatException>(() => DTypes.Parse(text));
        Assert.Contains("big-endian", e.Message, StringComparison.Ordinal);
        Assert.Contains("'<", e.Message, StringComparison.Ordinal); // and suggests the little-endian spelling
        Assert.False(DTypes.TryParse(text, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" f8")]
    [InlineData("f8 ")]
    [InlineData("float128")]
    [InlineData("longdouble")]
    [InlineData("f16")]
    [InlineData("<U3")]
    [InlineData("object")]
    [InlineData("O")]
    [InlineData("S8")]
    [InlineData("M8[ns]")]
    [InlineData("<float64")]
    [InlineData("f")]      // NumPy's one-letter codes are case-sensitive ('f' float32, 'F' complex64): refused
    [InlineData("B")]
    [InlineData("<")]
    [InlineData("<<f8")]
    [InlineData("decimal")]
    public void DType_Parse_refuses_unknown_spellings_with_examples(string text)
    {
        var e = Assert.Throws<FormatException>(() => DTypes.Parse(text));
        Assert.Contains("float64", e.Message, StringComparison.Ordinal);
        Assert.Contains("f8", e.Message, StringComparison.Ordinal);
        Assert.False(DTypes.TryParse(text, out DType dtype));
        Assert.Equal(default, dtype);
    }

    [Fact]
    public void DType_Parse_null()
    {
        Assert.Throws<ArgumentNullException>(() => DTypes.Parse(null!));
        Assert.False(DTypes.TryParse(null, out _));
    }

    [Fact]
    public void DType_Of_maps_every_element_type()
    {
        Assert.Equal(DType.Bool, DTypes.Of<bool>());
        Assert.Equal(DType.Int8, DTypes.Of<sbyte>());
        Assert.Equal(DType.UInt8, DTypes.Of<byte>());
        Assert.Equal(DType.Int16, DTypes.Of<short>());
        Assert.Equal(DType.UInt16, DTypes.Of<ushort>());
        Assert.Equal(DType.Int32, DTypes.Of<int>());
        Assert.Equal(DType.UInt32, DTypes.Of<uint>());
        Assert.Equal(DType.Int64, DTypes.Of<long>());
        Assert.Equal(DType.UInt64, DTypes.Of<ulong>());
        Assert.Equal(DType.Float16, DTypes.Of<Half>());
        Assert.Equal(DType.Float32, DTypes.Of<float>());
        Assert.Equal(DType.Float64, DTypes.Of<double>());
        Assert.Equal(DType.Complex64, DTypes.Of<Complex64>());
        Assert.Equal(DType.Complex128, DTypes.Of<Complex>());

        Assert.Contains("System.Decimal", Assert.Throws<NotSupportedException>(() => DTypes.Of<decimal>()).Message, StringComparison.Ordinal);
        Assert.Contains("System.Char", Assert.Throws<NotSupportedException>(() => DTypes.Of<char>()).Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => DTypes.Of<nint>());
    }

    [Fact]
    public void Item_sizes_match_the_dotnet_types()
    {
        Assert.Equal(Unsafe.SizeOf<bool>(), DType.Bool.ItemSize());
        Assert.Equal(Unsafe.SizeOf<Half>(), DType.Float16.ItemSize());
        Assert.Equal(Unsafe.SizeOf<Complex64>(), DType.Complex64.ItemSize());
        Assert.Equal(Unsafe.SizeOf<Complex>(), DType.Complex128.ItemSize());
    }

    [Fact]
    public void Complex64_is_two_floats_real_then_imaginary()
    {
        Complex64[] values = [new(1.5f, -2.25f)];
        float[] floats = MemoryMarshal.Cast<Complex64, float>(values).ToArray();
        Assert.Equal([1.5f, -2.25f], floats);
        Assert.Equal(new Complex64(1.5f, -2.25f), values[0]);
        Assert.Equal(1.5f, values[0].Real);
        Assert.Equal(-2.25f, values[0].Imaginary);
    }
}
