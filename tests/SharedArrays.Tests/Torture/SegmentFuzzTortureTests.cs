using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharedArrays.Format;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Torture;

using Torture = SharedArrays.Tests.Infrastructure.Torture;

/// <summary>
/// Torture 4: random and mutated segments and .npy files (truncated, extended, wrong magic or version,
/// header length fields and dicts that lie, shapes whose product times the item size overflows or
/// disagrees with the file size, control-block fields and offsets outside the file, forged with a valid
/// checksum or not). Every case goes through the parser with its bytes ending at a guard page; one in
/// <see cref="FileEvery"/> also goes through a real file on tmpfs and the public API. The outcome is a
/// typed <see cref="SharedArrayException"/> or an array whose every element lies inside the mapping;
/// anything else is a library bug.
/// </summary>
/// <remarks>
/// A failure prints the seed; <c>SHARR_FUZZ_SEED=N</c> replays exactly that run, and each case is
/// generated from (seed, case number) alone.
/// </remarks>
[Trait("Category", Torture.Category)]
public sealed unsafe class SegmentFuzzTortureTests
{
    private const int BaseCases = 100_000;

    /// <summary>One case in this many also goes through a real file and <see cref="SharedArray.Open(string, SharedArrayOpenOptions?)"/>.</summary>
    private const int FileEvery = 20;

    private const int ExtendMax = 8192;
    private const string SeedVariable = "SHARR_FUZZ_SEED";

    private static readonly long[] Extremes =
    [
        0, 1, 2, 3, 7, 8, 255, 256, 4095, 4096, 4097, 65535, 65536, int.MaxValue, 1L << 31, uint.MaxValue, 1L << 32,
        1L << 40, 1L << 61, 1L << 62, long.MaxValue - 1, long.MaxValue, -1, -4096, long.MinValue,
    ];

    /// <summary>The control block fields of docs/format.md section 4: name, offset, size.</summary>
    private static readonly (string Name, int Offset, int Size)[] ControlFields =
    [
        ("version", 8, 4), ("block size", 12, 4), ("generation", 16, 8), ("creator pid", 32, 4), ("creator uid", 36, 4),
        ("start time", 40, 8), ("created at", 48, 8), ("flags", 56, 4), ("dtype code", 60, 4), ("item size", 64, 4),
        ("rank", 68, 4), ("data offset", 72, 8), ("data bytes", 80, 8), ("shape[0]", 88, 8), ("shape[1]", 96, 8),
        ("shape[2]", 104, 8), ("shape[31]", 336, 8), ("reserved", 344, 8), ("checksum", 352, 8), ("state", 384, 4),
    ];

    private static readonly string[] Descrs =
    [
        "<f8", "<f4", "<f2", "|u1", "|i1", "|b1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<c8", "<c16",
        ">f8", "|O", "<U5", "<M8[s]", "|V8", "f8", "float64", "<f16", "", "<f8\\'",
    ];

    private static readonly string[] Bools = ["False", "True", "0", "None", "false"];

    /// <summary>Axis lengths as header text: ordinary, extreme, overflowing, negative, Python 2 longs.</summary>
    private static readonly string[] AxisTexts =
    [
        "0", "1", "2", "3", "10", "1000", "4097", "2147483648", "4294967296", "3037000500", "4611686018427387904",
        "9223372036854775807", "9223372036854775808", "18446744073709551616", "-1", "-0", "3L", "+5", "1_000", "0x10",
    ];

    private sealed record Entry(string Kind, byte[] Bytes, bool Ours, int Major, int DataOffset);

    /// <summary>Counts of what happened, by outcome.</summary>
    private sealed class Outcomes
    {
        private readonly SortedDictionary<string, int> _errors = new(StringComparer.Ordinal);

        internal int Cases { get; private set; }
        internal int Opened { get; private set; }
        internal int OpenedWithControlBlock { get; private set; }
        internal int Untyped { get; private set; }

        internal void Ok(bool controlBlock)
        {
            Cases++;
            Opened++;
            OpenedWithControlBlock += controlBlock ? 1 : 0;
        }

        internal void Error(SharedArrayException e)
        {
            Cases++;
            string type = e.GetType().Name;
            _errors[type] = _errors.GetValueOrDefault(type) + 1;
        }

        internal void Crash()
        {
            Cases++;
            Untyped++;
        }

        public override string ToString() =>
            $"{Cases} cases: opened OK {Opened} ({OpenedWithControlBlock} with a control block, {Opened - OpenedWithControlBlock} plain .npy); " +
            $"typed errors {_errors.Values.Sum()} ({string.Join(", ", _errors.Select(kv => $"{kv.Key} {kv.Value}"))}); untyped exceptions {Untyped}";
    }

    [Fact]
    public void Random_and_mutated_segments_give_a_typed_error_or_an_array_inside_its_mapping()
    {
        int cases = Torture.Scaled(BaseCases);
        int seed = Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        List<Entry> corpus = Corpus(new Random(seed));
        // Room for three extensions, or a control block spliced in past the end, after the largest image.
        int capacity = corpus.Max(e => e.Bytes.Length) + (4 * ExtendMax) + 9000;
        byte[] scratch = new byte[capacity];
        var parser = new Outcomes();
        var files = new Outcomes();
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        var fileClock = new Stopwatch();

        using var guard = new GuardedBuffer(capacity);
        using var dir = new PrivateDirectory("tfuzz");
        for (int i = 0; i < cases && failures.Count < 10; i++)
        {
            var random = new Random(unchecked((seed * 1_000_003) + i));
            (int length, string description) = MakeCase(random, corpus, scratch);
            byte[] bytes = scratch.AsSpan(0, length).ToArray();
            string? failure = CheckParser(guard, bytes, parser);
            if (failure is null && i % FileEvery == 0)
            {
                fileClock.Start();
                failure = CheckFile(dir, bytes, i / FileEvery, files);
                fileClock.Stop();
            }
            if (failure is not null)
            {
                failures.Add($"case {i} ({description}, {length} bytes): {failure}");
            }
        }

        Torture.Report($"segment fuzz (seed {seed}, {clock.Elapsed.TotalSeconds:0.0} s): parser: {parser}; " +
                       $"real files through SharedArray.Open, Open(handle), Inspect, List and NpyFile.Load ({fileClock.Elapsed.TotalSeconds:0.0} s of it): {files}; " +
                       $"views outside the mapping 0, crashes 0");
        Assert.True(failures.Count == 0,
            $"{failures.Count} case(s) failed; replay with {SeedVariable}={seed}:\n{string.Join("\n", failures)}");
        Assert.Equal(cases, parser.Cases);
    }

    /// <summary>Valid images to start from: our segments and NumPy's .npy files (versions 1.0 to 3.0, C and Fortran order).</summary>
    private static List<Entry> Corpus(Random random)
    {
        (DType DType, long[] Shape)[] arrays =
        [
            (DType.Float64, [1000]), (DType.UInt8, []), (DType.Bool, [0]), (DType.Int32, [3, 5]), (DType.Complex128, [2, 3, 4]),
            (DType.Float16, [4097]), (DType.UInt64, [0, 7]), (DType.Complex64, [1, 1, 1, 1, 1]), (DType.Int16, [513]),
            (DType.Float32, [10, 10]), (DType.Int8, [4096]), (DType.UInt32, [1, 1025]),
        ];
        var corpus = new List<Entry>();
        foreach (var (dtype, shape) in arrays)
        {
            string what = $"{dtype.Descr()} {SegmentImages.ShapeText(shape)}";
            corpus.Add(new Entry("segment " + what, SegmentImages.Segment(dtype, shape, random), Ours: true, Major: 1, DataOffset: 4096));
            int major = 1 + (corpus.Count % 3);
            bool fortran = shape.Length > 1 && corpus.Count % 2 == 0;
            byte[] npy = SegmentImages.Npy(dtype, shape, major, fortran, random);
            int dataOffset = major == 1 ? 10 + BinaryPrimitives.ReadUInt16LittleEndian(npy.AsSpan(8)) : 12 + (int)BinaryPrimitives.ReadUInt32LittleEndian(npy.AsSpan(8));
            corpus.Add(new Entry($"npy v{major}.0{(fortran ? " fortran" : "")} " + what, npy, Ours: false, major, dataOffset));
        }
        return corpus;
    }

    /// <summary>Builds case bytes in <paramref name="buffer"/> from the case's own random source; returns the length and what was done.</summary>
    private static (int Length, string Description) MakeCase(Random random, List<Entry> corpus, byte[] buffer)
    {
        if (random.Next(20) == 0)
        {
            int size = random.Next(9000);
            random.NextBytes(buffer.AsSpan(0, size));
            if (size >= 10 && random.Next(2) == 0)
            {
                // Past the magic and version, so the random bytes reach the length field and the dict.
                ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];
                magic.CopyTo(buffer);
            }
            return (size, "random bytes");
        }

        Entry entry = corpus[random.Next(corpus.Count)];
        entry.Bytes.CopyTo(buffer, 0);
        int length = entry.Bytes.Length;
        int trailer = entry.Ours ? SegmentImages.TrailerOf(entry.Bytes) : -1;
        var done = new List<string> { entry.Kind };
        int mutations = 1 + random.Next(3);
        for (int m = 0; m < mutations; m++)
        {
            done.Add(Mutate(random, corpus, entry, buffer, ref length, trailer));
        }
        return (length, string.Join("; ", done));
    }

    private static string Mutate(Random random, List<Entry> corpus, Entry entry, byte[] buffer, ref int length, int trailer)
    {
        Span<byte> file = buffer;
        int prefix = entry.Major == 1 ? 10 : 12;
        switch (random.Next(12))
        {
            case 0: // truncation, often at a boundary that matters
                int[] marks = [0, 1, 6, 8, 10, 12, entry.DataOffset - 1, entry.DataOffset, entry.Bytes.Length - 1,
                               trailer, trailer + 8, trailer + 352, trailer + 388, trailer + 4095];
                int cut = random.Next(2) == 0 ? random.Next(length + 1) : marks[random.Next(marks.Length)] + random.Next(-2, 3);
                length = Math.Clamp(cut, 0, length);
                return $"truncated to {length}";
            case 1: // extension: zeros, random bytes, or a copy of a control block
                int extra = Math.Min(1 + random.Next(ExtendMax - 1), buffer.Length - length);
                Span<byte> tail = file.Slice(length, extra);
                tail.Clear();
                if (random.Next(2) == 0)
                {
                    random.NextBytes(tail);
                }
                length += extra;
                return $"extended by {extra}";
            case 2:
                int at = random.Next(6);
                file[at] = (byte)random.Next(256);
                return $"magic byte {at} = {file[at]}";
            case 3:
                (byte major, byte minor)[] versions = [(1, 0), (2, 0), (3, 0), (0, 0), (1, 1), (4, 0), (255, 255), ((byte)random.Next(256), (byte)random.Next(256))];
                (file[6], file[7]) = versions[random.Next(versions.Length)];
                return $"version {file[6]}.{file[7]}";
            case 4: // the header length field, read as uint16 (1.0) or uint32 (2.0, 3.0)
                long value = Pick(random, length, entry.DataOffset - prefix);
                if (random.Next(2) == 0)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(file[8..], unchecked((ushort)value));
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(file[8..], unchecked((uint)value));
                }
                return $"header length field = {value}";
            case 5: // one byte of the header text
                ReadOnlySpan<byte> tokens = [(byte)'(', (byte)')', (byte)',', (byte)'\'', (byte)'"', (byte)':', (byte)'{', (byte)'}',
                                             (byte)'\n', (byte)' ', (byte)'-', (byte)'9', (byte)'L', 0, 0x80, 0xFF];
                int where = prefix + random.Next(Math.Max(1, entry.DataOffset - prefix));
                file[where] = random.Next(2) == 0 ? tokens[random.Next(tokens.Length)] : (byte)random.Next(256);
                return $"header byte {where} = {file[where]}";
            case 6: // a whole new dict, and for a segment the same lie in the control block (resealed)
                return Lie(random, entry, file, trailer);
            case 7 when trailer >= 0: // one control-block field, usually with the checksum recomputed
                var (name, offset, size) = ControlFields[random.Next(ControlFields.Length)];
                long fieldValue = Pick(random, length, BinaryPrimitives.ReadInt64LittleEndian(file[(trailer + offset)..]));
                SegmentImages.Write(file, trailer + offset, size, fieldValue);
                bool reseal = name != "checksum" && random.Next(4) != 0;
                if (reseal)
                {
                    SegmentImages.Reseal(file, trailer);
                }
                return $"control block {name} = {fieldValue}{(reseal ? " (resealed)" : "")}";
            case 8:
                int any = random.Next(Math.Max(1, length));
                file[any] = (byte)random.Next(256);
                return $"byte {any} = {file[any]}";
            case 9: // another image's control block, here or where a plain .npy's data ends
                Entry donor = corpus[random.Next(corpus.Count)];
                if (!donor.Ours)
                {
                    return "no splice";
                }
                int to = trailer >= 0 ? trailer : (int)SegmentLayout.RoundUpToPage(entry.Bytes.Length);
                donor.Bytes.AsSpan(donor.Bytes.Length - ControlBlock.Size).CopyTo(file[to..]);
                length = Math.Max(length, to + ControlBlock.Size);
                return $"control block of {donor.Kind} at {to}";
            case 10: // a shape whose size overflows 2^63 bytes, consistently in the header and control block
                string[][] shapes = [["4611686018427387904", "4"], ["2147483648", "2147483648", "4"], ["3037000500", "3037000500"], ["9223372036854775807", "2"], ["0", "9223372036854775807", "9223372036854775807"]];
                string[] dims = shapes[random.Next(shapes.Length)];
                return Lie(random, entry, file, trailer, "<f8", "False", "(" + string.Join(", ", dims) + ")");
            default: // the rest of the file random after a plausible header
                int from = Math.Min(length, random.Next(2) == 0 ? entry.DataOffset : prefix);
                random.NextBytes(file[from..length]);
                return $"random from {from}";
        }
    }

    /// <summary>Rewrites the header dict (and, for a segment, the control block to match, resealed).</summary>
    private static string Lie(Random random, Entry entry, Span<byte> file, int trailer, string? descr = null, string? fortran = null, string? shapeText = null)
    {
        descr ??= Descrs[random.Next(Descrs.Length)];
        fortran ??= random.Next(4) == 0 ? Bools[random.Next(Bools.Length)] : "False";
        if (shapeText is null)
        {
            int rank = random.Next(8) == 0 ? 33 : random.Next(5);
            shapeText = rank == 1
                ? $"({AxisTexts[random.Next(AxisTexts.Length)]},)"
                : "(" + string.Join(", ", Enumerable.Range(0, rank).Select(_ => random.Next(3) == 0 ? AxisTexts[random.Next(AxisTexts.Length)] : random.Next(10).ToString(CultureInfo.InvariantCulture))) + ")";
        }
        SegmentImages.WriteHeader(file, entry.Major, entry.DataOffset, SegmentImages.Dict(descr, fortran, shapeText));
        string what = $"dict {descr} {fortran} {shapeText}";
        if (trailer < 0 || random.Next(4) == 0)
        {
            return what;
        }

        // The same lie where the control block keeps it, so that only the sizes can give it away.
        long[] shape = shapeText.Trim('(', ')').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => long.TryParse(t.TrimEnd('L'), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long d) ? d : -1).ToArray();
        int itemSize = DTypes.TryParse(descr, out DType dtype) ? dtype.ItemSize() : 8;
        long bytes = itemSize;
        foreach (long d in shape)
        {
            bytes = unchecked(bytes * d);
        }
        SegmentImages.Write(file, trailer + 60, 4, DTypes.TryParse(descr, out dtype) ? (long)dtype : 99);
        SegmentImages.Write(file, trailer + 64, 4, itemSize);
        SegmentImages.Write(file, trailer + 68, 4, shape.Length);
        SegmentImages.Write(file, trailer + 80, 8, bytes);
        for (int i = 0; i < Math.Min(shape.Length, ControlBlock.MaxRank); i++)
        {
            SegmentImages.Write(file, trailer + 88 + (8 * i), 8, shape[i]);
        }
        SegmentImages.Reseal(file, trailer);
        return what + " (control block agrees, resealed)";
    }

    private static long Pick(Random random, long length, long related) => random.Next(4) switch
    {
        0 => Extremes[random.Next(Extremes.Length)],
        1 => related + random.Next(-2, 3),
        2 => length + random.Next(-4097, 4097),
        _ => (random.NextInt64() >> random.Next(64)) * (random.Next(2) == 0 ? 1 : -1),
    };

    /// <summary>The parser alone, with the bytes ending at a guard page: any read past them is a SIGSEGV.</summary>
    private static string? CheckParser(GuardedBuffer guard, byte[] bytes, Outcomes outcomes)
    {
        byte* file = guard.Place(bytes);
        SegmentLayout layout;
        try
        {
            layout = SegmentLayout.Read(file, bytes.Length, "fuzz");
        }
        catch (InvalidSegmentException e)
        {
            outcomes.Error(e);
            return e.Message.Contains("'fuzz'", StringComparison.Ordinal) ? null : $"the message does not name the segment: {e.Message}";
        }
        catch (Exception e)
        {
            // The parser's contract is narrower than the API's: bytes are valid or InvalidSegmentException.
            outcomes.Crash();
            return $"parser threw {e.GetType().Name}: {e.Message}";
        }

        long itemSize = layout.DType.ItemSize();
        if (layout.DataOffset < 0 || layout.DataBytes < 0 || layout.DataOffset > bytes.Length || layout.DataBytes > bytes.Length - layout.DataOffset)
        {
            return $"data [{layout.DataOffset}, +{layout.DataBytes}) lies outside the {bytes.Length}-byte file";
        }
        if (layout.Shape.Any(d => d < 0) || layout.Length != SegmentLayout.ElementCount(layout.Shape) ||
            (BigInteger)layout.Length * itemSize != layout.DataBytes)
        {
            return $"shape {SegmentImages.ShapeText(layout.Shape)} x {itemSize} bytes disagrees with {layout.DataBytes} data bytes";
        }
        if (layout.HasControlBlock && layout.TrailerOffset + ControlBlock.Size != bytes.Length)
        {
            return $"control block at {layout.TrailerOffset} does not end the {bytes.Length}-byte file";
        }
        if (layout.DataBytes > 0)
        {
            // First and last data byte: outside the bytes, the guard page would end the process here.
            _ = Volatile.Read(ref file[layout.DataOffset]);
            _ = Volatile.Read(ref file[layout.DataOffset + layout.DataBytes - 1]);
        }
        outcomes.Ok(layout.HasControlBlock);
        return null;
    }

    /// <summary>
    /// The same bytes as a real 0600 file on tmpfs, through the public API: opened by name or by path,
    /// read-only or writable, reopened by handle, inspected, listed and loaded.
    /// </summary>
    private static string? CheckFile(PrivateDirectory dir, byte[] bytes, int k, Outcomes outcomes)
    {
        const string Name = "c";
        string path = dir.PathOf(Name);
        SegmentImages.WriteFile(path, bytes);
        bool byPath = k % 2 == 1;
        string target = byPath ? path : Name;
        var options = new SharedArrayOpenOptions { ReadOnly = k / 2 % 2 == 1, Directory = dir.Path, Timeout = TimeSpan.Zero };
        try
        {
            using SharedArray array = SharedArray.Open(target, options);
            string? problem = CheckArray(array, bytes.Length);
            if (problem is not null)
            {
                return $"Open({(byPath ? "path" : "name")}): {problem}";
            }
            using SharedArray again = SharedArray.Open(SharedArrayHandle.Parse(array.Handle.ToString()), options);
            if (again.Length != array.Length || again.DType != array.DType)
            {
                return "reopening by handle gave a different array";
            }
            outcomes.Ok(array.Format == SegmentFormat.SharedArray);
        }
        catch (SharedArrayException e)
        {
            outcomes.Error(e);
            if (!e.Message.Contains(target, StringComparison.Ordinal))
            {
                return $"the message does not name '{target}': {e.GetType().Name}: {e.Message}";
            }
        }
        catch (Exception e)
        {
            outcomes.Crash();
            return $"Open({(byPath ? "path" : "name")}) threw {e.GetType().Name}: {e.Message}";
        }

        try
        {
            _ = SharedArray.Inspect(target, dir.Path);
        }
        catch (SharedArrayException)
        {
        }
        catch (Exception e)
        {
            return $"Inspect threw {e.GetType().Name}: {e.Message}";
        }

        try
        {
            _ = SharedArray.List(dir.Path);
        }
        catch (Exception e)
        {
            return $"List threw {e.GetType().Name}: {e.Message}";
        }

        if (k % 5 == 0)
        {
            try
            {
                using SharedArray loaded = NpyFile.Load(path, "loaded", new SharedArrayCreateOptions { Directory = dir.Path });
                string? problem = CheckArray(loaded, loaded.Segment.FileLength);
                if (problem is not null)
                {
                    return $"NpyFile.Load: {problem}";
                }
            }
            catch (SharedArrayException)
            {
            }
            catch (Exception e)
            {
                return $"NpyFile.Load threw {e.GetType().Name}: {e.Message}";
            }
        }
        return null;
    }

    /// <summary>Every chunk of the array inside the mapping and the data area; first and last element read (and written back if writable).</summary>
    private static string? CheckArray(SharedArray array, long fileLength)
    {
        if ((BigInteger)array.Length * array.ItemSize + array.DataOffset > fileLength || array.Segment.FileLength != fileLength)
        {
            return $"{array.Length} elements of {array.ItemSize} bytes at offset {array.DataOffset} do not fit in {fileLength} bytes";
        }
        return array.DType switch
        {
            DType.Bool => Probe<bool>(array),
            DType.Int8 => Probe<sbyte>(array),
            DType.UInt8 => Probe<byte>(array),
            DType.Int16 => Probe<short>(array),
            DType.UInt16 => Probe<ushort>(array),
            DType.Int32 => Probe<int>(array),
            DType.UInt32 => Probe<uint>(array),
            DType.Int64 => Probe<long>(array),
            DType.UInt64 => Probe<ulong>(array),
            DType.Float16 => Probe<Half>(array),
            DType.Float32 => Probe<float>(array),
            DType.Float64 => Probe<double>(array),
            DType.Complex64 => Probe<Complex64>(array),
            DType.Complex128 => Probe<Complex>(array),
            _ => $"unknown dtype {array.DType}",
        };
    }

    private static string? Probe<T>(SharedArray array) where T : unmanaged
    {
        using SharedArray<T> typed = array.As<T>();
        byte* data = array.Segment.BasePointer + array.DataOffset;
        byte* end = array.Segment.BasePointer + array.Segment.FileLength;
        long seen = 0;
        foreach (ReadOnlySpan<T> chunk in typed.GetReadOnlyChunks())
        {
            byte* start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(chunk));
            if (chunk.Length > 0 && (start < data || start + ((long)chunk.Length * sizeof(T)) > end))
            {
                return $"a chunk of {chunk.Length} elements at mapping offset {start - array.Segment.BasePointer} lies outside [{array.DataOffset}, {array.Segment.FileLength})";
            }
            seen += chunk.Length;
        }
        if (seen != typed.Length)
        {
            return $"the chunks hold {seen} elements, the array {typed.Length}";
        }
        if (typed.Length > 0)
        {
            long[] first = new long[typed.Rank];
            long[] last = typed.Shape.ToArray().Select(d => d - 1).ToArray();
            T a = typed.GetValue(first);
            T b = typed.GetValue(last);
            if (!typed.IsReadOnly)
            {
                typed[first] = a;
                typed[last] = b;
            }
        }
        return null;
    }
}
