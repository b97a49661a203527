using System.Runtime.CompilerServices;
using SharedArrays.Format;

namespace SharedArrays.Tests.Format;

/// <summary>Pins every offset of the control block to the table in docs/format.md.</summary>
public unsafe class ControlBlockLayoutTests
{
    [Fact]
    public void Size_is_one_page() => Assert.Equal(4096, sizeof(ControlBlock));

    [Fact]
    public void Offsets_match_docs_format_md()
    {
        ControlBlock cb = default;
        byte* b = (byte*)&cb;
        Assert.Equal(0, (byte*)&cb.Magic - b);
        Assert.Equal(8, (byte*)&cb.Version - b);
        Assert.Equal(12, (byte*)&cb.BlockSize - b);
        Assert.Equal(16, (byte*)&cb.Generation - b);
        Assert.Equal(32, (byte*)&cb.CreatorPid - b);
        Assert.Equal(36, (byte*)&cb.CreatorUid - b);
        Assert.Equal(40, (byte*)&cb.CreatorStartTime - b);
        Assert.Equal(48, (byte*)&cb.CreatedUnixMilliseconds - b);
        Assert.Equal(56, (byte*)&cb.Flags - b);
        Assert.Equal(60, (byte*)&cb.DTypeCode - b);
        Assert.Equal(64, (byte*)&cb.ItemSize - b);
        Assert.Equal(68, (byte*)&cb.Rank - b);
        Assert.Equal(72, (byte*)&cb.DataOffset - b);
        Assert.Equal(80, (byte*)&cb.DataBytes - b);
        Assert.Equal(88, (byte*)cb.Shape - b);
        Assert.Equal(88 + 32 * 8, ControlBlock.ChecksummedBytes - 8);
        Assert.Equal(352, (byte*)&cb.Checksum - b);
        Assert.Equal(384, (byte*)&cb.State - b);
        Assert.Equal(512, (byte*)&cb.MutexInit - b);
        Assert.Equal(520, (byte*)&cb.MutexInitStartTime - b);
        Assert.Equal(528, (byte*)cb.Mutex - b);
        Assert.Equal(64, ControlBlock.MutexBytes);
        Assert.Equal(592, (byte*)&cb.WriterPid - b);
        Assert.Equal(596, (byte*)&cb.SyncFlags - b);
        Assert.Equal(600, (byte*)&cb.WriterStartTime - b);
        Assert.Equal(640, (byte*)&cb.VersionCounter - b);
        Assert.Equal(704, (byte*)&cb.NotifyWord - b);
        Assert.Equal(768, (byte*)&cb.PublisherSlots - b);
        Assert.Equal(832, (byte*)ControlBlock.PublisherSequence(&cb, 0) - b);
        Assert.Equal(832 + 15 * 64, (byte*)ControlBlock.PublisherSequence(&cb, ControlBlock.MaxPublisherSlots - 1) - b);
        Assert.True(832 + ControlBlock.MaxPublisherSlots * 64 <= ControlBlock.Size);
    }

    [Fact]
    public void Sync_flags_and_mutex_room_match_docs_format_md()
    {
        Assert.Equal(1u, ControlBlock.SyncFlagInconsistent);
        Assert.Equal(2u, ControlBlock.SyncFlagRepairPending);
        // glibc's pthread_mutex_t: 40 bytes on x86-64, 48 on arm64; the area [528, 592) holds either.
        Assert.True(global::Interop.Libc.PThreadMutexMaxSize <= 592 - 528);
    }

    [Fact]
    public void Magic_spells_SHARRCTL()
    {
        ulong magic = ControlBlock.MagicValue;
        Assert.Equal("SHARRCTL"u8.ToArray(), new ReadOnlySpan<byte>(&magic, 8).ToArray());
    }

    [Fact]
    public void Checksum_is_fnv1a_64_over_the_first_352_bytes()
    {
        byte[] block = new byte[4096];
        // FNV-1a 64 of 352 zero bytes, computed independently: each step is hash = (hash ^ 0) * prime.
        ulong expected = 0xcbf29ce484222325;
        for (int i = 0; i < 352; i++)
        {
            expected *= 0x100000001b3;
        }
        Assert.Equal(expected, ControlBlock.ComputeChecksum(block));
        block[400] = 1; // outside the checksummed range
        Assert.Equal(expected, ControlBlock.ComputeChecksum(block));
        block[351] = 1;
        Assert.NotEqual(expected, ControlBlock.ComputeChecksum(block));
    }
}
