namespace SharedArrays.Format;

/// <summary>
/// What a segment's bytes say about themselves: the .npy header, and the control block when there is
/// one. Read once at open; the immutable fields never change afterwards.
/// </summary>
internal sealed class SegmentLayout
{
    internal const int PageSize = 4096;
    internal const long DataOffsetOfOurs = PageSize;

    /// <summary>The largest header we read; numpy refuses anything above 10,000 characters by default.</summary>
    private const int MaxHeaderBytes = 1 << 16;

    internal required DType DType { get; init; }
    internal required long[] Shape { get; init; }
    internal required bool FortranOrder { get; init; }
    internal required long DataOffset { get; init; }
    internal required long DataBytes { get; init; }
    internal required long Length { get; init; }
    internal required long TrailerOffset { get; init; }
    internal required bool HasControlBlock { get; init; }
    internal Guid Generation { get; init; }
    internal int CreatorPid { get; init; }
    internal uint CreatorUid { get; init; }
    internal ulong CreatorStartTime { get; init; }
    internal long CreatedUnixMilliseconds { get; init; }
    internal bool Persistent { get; init; }

    internal static long RoundUpToPage(long value) => checked((value + (PageSize - 1)) & ~(long)(PageSize - 1));

    /// <summary>The file size of a segment we create for <paramref name="dataBytes"/> bytes of elements.</summary>
    internal static long FileLengthFor(long dataBytes) => checked(RoundUpToPage(DataOffsetOfOurs + dataBytes) + ControlBlock.Size);

    internal static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (long d in shape)
        {
            count = checked(count * d);
        }
        return count;
    }

    /// <summary>
    /// Parses the mapped bytes of a segment or .npy file. Everything is validated against
    /// <paramref name="fileLength"/>: a header or control block that lies can never produce a view
    /// outside the mapping.
    /// </summary>
    internal static unsafe SegmentLayout Read(byte* file, long fileLength, string name)
    {
        NpyHeaderInfo npy;
        try
        {
            npy = NpyHeader.Parse(new ReadOnlySpan<byte>(file, (int)Math.Min(fileLength, MaxHeaderBytes)), fileLength);
        }
        catch (InvalidSegmentException e) when (e.SegmentName is null)
        {
            throw new InvalidSegmentException($"'{name}' is not a valid .npy segment: {e.Message}", name, e);
        }

        long trailer = RoundUpToPage(npy.DataOffset + npy.DataBytes);
        long length = ElementCount(npy.Shape);
        bool hasBlock = fileLength == trailer + ControlBlock.Size &&
                        ((ControlBlock*)(file + trailer))->Magic == ControlBlock.MagicValue;
        if (!hasBlock)
        {
            if (fileLength != trailer + ControlBlock.Size && BeginsLikeControlBlock(file + trailer, fileLength - trailer))
            {
                // Our segment cut short or with bytes appended: read as a plain .npy it would silently lose
                // its generation, creator and lifecycle. docs/format.md section 8 calls it damaged.
                throw new InvalidSegmentException(
                    $"'{name}' has a damaged control block: it starts at offset {trailer} and needs a file of exactly " +
                    $"{trailer + ControlBlock.Size} bytes, but the file has {fileLength} (it was truncated or extended).", name);
            }
            return new SegmentLayout
            {
                DType = npy.DType, Shape = npy.Shape, FortranOrder = npy.FortranOrder, DataOffset = npy.DataOffset,
                DataBytes = npy.DataBytes, Length = length, TrailerOffset = trailer, HasControlBlock = false,
            };
        }

        ControlBlock* cb = (ControlBlock*)(file + trailer);
        string? problem = CheckControlBlock(cb, npy);
        if (problem is not null)
        {
            throw new InvalidSegmentException($"'{name}' has a damaged control block: {problem}.", name);
        }
        return new SegmentLayout
        {
            DType = npy.DType, Shape = npy.Shape, FortranOrder = false, DataOffset = npy.DataOffset,
            DataBytes = npy.DataBytes, Length = length, TrailerOffset = trailer, HasControlBlock = true,
            Generation = cb->Generation, CreatorPid = cb->CreatorPid, CreatorUid = cb->CreatorUid,
            CreatorStartTime = cb->CreatorStartTime, CreatedUnixMilliseconds = cb->CreatedUnixMilliseconds,
            Persistent = (cb->Flags & ControlBlock.FlagPersistent) != 0,
        };
    }

    /// <summary>
    /// Whether the <paramref name="available"/> bytes at <paramref name="at"/> begin with the control-block
    /// magic, or with as much of it as there is room for.
    /// </summary>
    private static unsafe bool BeginsLikeControlBlock(byte* at, long available)
    {
        if (available <= 0)
        {
            return false;
        }
        ReadOnlySpan<byte> magic = "SHARRCTL"u8;
        int count = (int)Math.Min(available, magic.Length);
        return new ReadOnlySpan<byte>(at, count).SequenceEqual(magic[..count]);
    }

    private static unsafe string? CheckControlBlock(ControlBlock* cb, NpyHeaderInfo npy)
    {
        if (cb->Version != ControlBlock.LayoutVersion)
        {
            return $"layout version {cb->Version}, this library reads version {ControlBlock.LayoutVersion}";
        }
        if (cb->BlockSize != ControlBlock.Size)
        {
            return $"block size {cb->BlockSize}, expected {ControlBlock.Size}";
        }
        if (cb->Checksum != ControlBlock.ComputeChecksum(cb))
        {
            return "checksum mismatch";
        }
        if (cb->DTypeCode != (uint)npy.DType || cb->ItemSize != (uint)npy.DType.ItemSize())
        {
            return $"dtype code {cb->DTypeCode} (item size {cb->ItemSize}) disagrees with the header's '{npy.Descr}'";
        }
        if (npy.FortranOrder)
        {
            return "the header says fortran_order, which segments with a control block never use";
        }
        if (cb->Rank != (uint)npy.Shape.Length)
        {
            return $"rank {cb->Rank} disagrees with the header's rank {npy.Shape.Length}";
        }
        for (int i = 0; i < npy.Shape.Length; i++)
        {
            if (cb->Shape[i] != npy.Shape[i])
            {
                return $"axis {i} has length {cb->Shape[i]} in the control block and {npy.Shape[i]} in the header";
            }
        }
        if (cb->DataOffset != (ulong)npy.DataOffset || cb->DataBytes != (ulong)npy.DataBytes)
        {
            return $"data offset/bytes {cb->DataOffset}/{cb->DataBytes} disagree with the header's {npy.DataOffset}/{npy.DataBytes}";
        }
        return null;
    }

    /// <summary>Writes the .npy header and the control block of a new segment (state left initialising).</summary>
    internal static unsafe void WriteNew(byte* file, long fileLength, DType dtype, ReadOnlySpan<long> shape, long dataBytes, Guid generation, bool persistent)
    {
        NpyHeader.Write(new Span<byte>(file, (int)DataOffsetOfOurs), dtype, shape, (int)DataOffsetOfOurs);
        ControlBlock* cb = (ControlBlock*)(file + fileLength - ControlBlock.Size);
        cb->Magic = ControlBlock.MagicValue;
        cb->Version = ControlBlock.LayoutVersion;
        cb->BlockSize = ControlBlock.Size;
        cb->Generation = generation;
        cb->CreatorPid = Environment.ProcessId;
        cb->CreatorUid = Interop.Libc.GetEUid();
        cb->CreatorStartTime = Lifecycle.ProcessInfo.CurrentStartTime;
        cb->CreatedUnixMilliseconds = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        cb->Flags = persistent ? ControlBlock.FlagPersistent : 0;
        cb->DTypeCode = (uint)dtype;
        cb->ItemSize = (uint)dtype.ItemSize();
        cb->Rank = (uint)shape.Length;
        cb->DataOffset = (ulong)DataOffsetOfOurs;
        cb->DataBytes = (ulong)dataBytes;
        for (int i = 0; i < shape.Length; i++)
        {
            cb->Shape[i] = shape[i];
        }
        cb->Checksum = ControlBlock.ComputeChecksum(cb);
    }
}
