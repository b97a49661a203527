using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharedArrays.Format;

/// <summary>
/// The control block that follows the array data in every segment we create (layout version 1).
/// Mirrors the table in <c>docs/format.md</c> byte for byte; <c>ControlBlockLayoutTests</c> pins every
/// offset. All integers are little-endian; only little-endian hosts are supported.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal unsafe struct ControlBlock
{
    internal const int Size = 4096;
    internal const uint LayoutVersion = 1;
    internal const int MaxRank = 32;
    internal const int ChecksummedBytes = 352;

    /// <summary>"SHARRCTL" read as a little-endian 64-bit integer.</summary>
    internal const ulong MagicValue = 0x4C54435252414853;

    internal const uint StateInitialising = 0;
    internal const uint StateReady = 1;

    internal const uint FlagPersistent = 1;

    [FieldOffset(0)] internal ulong Magic;
    [FieldOffset(8)] internal uint Version;
    [FieldOffset(12)] internal uint BlockSize;
    [FieldOffset(16)] internal Guid Generation;
    [FieldOffset(32)] internal int CreatorPid;
    [FieldOffset(36)] internal uint CreatorUid;
    [FieldOffset(40)] internal ulong CreatorStartTime;
    [FieldOffset(48)] internal long CreatedUnixMilliseconds;
    [FieldOffset(56)] internal uint Flags;
    [FieldOffset(60)] internal uint DTypeCode;
    [FieldOffset(64)] internal uint ItemSize;
    [FieldOffset(68)] internal uint Rank;
    [FieldOffset(72)] internal ulong DataOffset;
    [FieldOffset(80)] internal ulong DataBytes;
    [FieldOffset(88)] internal fixed long Shape[MaxRank];
    [FieldOffset(352)] internal ulong Checksum;

    // Mutable words, each on its own cache line so that writers of one do not slow readers of another.
    [FieldOffset(384)] internal uint State;

    /// <summary>Reserved for the cross-process robust mutex (issue #5). Zero in layout version 1.</summary>
    [FieldOffset(512)] internal fixed byte LockArea[128];

    /// <summary>Reserved for the seqlock version counter (issue #5). Zero in layout version 1.</summary>
    [FieldOffset(640)] internal ulong VersionCounter;

    /// <summary>Reserved for the futex change-notification word (issue #5). Zero in layout version 1.</summary>
    [FieldOffset(704)] internal uint NotifyWord;

    /// <summary>FNV-1a 64 over bytes [0, 352): catches a control block that was damaged or forged carelessly.</summary>
    internal static ulong ComputeChecksum(ReadOnlySpan<byte> block)
    {
        ulong hash = 0xcbf29ce484222325;
        foreach (byte b in block[..ChecksummedBytes])
        {
            hash = (hash ^ b) * 0x100000001b3;
        }
        return hash;
    }

    internal static ulong ComputeChecksum(ControlBlock* block) =>
        ComputeChecksum(new ReadOnlySpan<byte>(block, ChecksummedBytes));

    internal static ref uint StateWord(ControlBlock* block) => ref Unsafe.AsRef<uint>(&block->State);
}
