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

    // The synchronisation area (docs/format.md section 4.3). Zero in segments created before it
    // existed; the mutex is then initialised lazily (SyncBlock.EnsureMutex).

    /// <summary>Bits 0-31: mutex state (0 none, 1 initialising, 2 ready); bits 32-63: PID of its initialiser.</summary>
    [FieldOffset(512)] internal ulong MutexInit;

    /// <summary>Start time of the process that initialised the mutex (or is doing so).</summary>
    [FieldOffset(520)] internal ulong MutexInitStartTime;

    /// <summary>A process-shared, robust, error-checking <c>pthread_mutex_t</c> (40 bytes on x86-64, 48 on arm64).</summary>
    [FieldOffset(528)] internal fixed byte Mutex[MutexBytes];

    /// <summary>The process inside the last <c>BeginWrite</c>, or a publisher's writer; 0 = none.</summary>
    [FieldOffset(592)] internal int WriterPid;

    /// <summary>Bit 0: inconsistent (unrepaired after an owner died); bit 1: repair pending (owner died, not yet marked consistent).</summary>
    [FieldOffset(596)] internal uint SyncFlags;

    /// <summary>The writer's start time, so that a reused PID is not taken for a live writer.</summary>
    [FieldOffset(600)] internal ulong WriterStartTime;

    /// <summary>Seqlock version (odd while a write is in progress), or 2 × the latest frame of a publisher.</summary>
    [FieldOffset(640)] internal ulong VersionCounter;

    /// <summary>The futex word: incremented after every completed write or publish, then FUTEX_WAKE.</summary>
    [FieldOffset(704)] internal uint NotifyWord;

    /// <summary>0 for an ordinary segment; 2..16 for a <see cref="SharedPublisher{T}"/>'s (slots along the first axis).</summary>
    [FieldOffset(768)] internal uint PublisherSlots;

    internal const int MutexBytes = 64;
    internal const uint SyncFlagInconsistent = 1;
    internal const uint SyncFlagRepairPending = 2;
    internal const int PublisherSequencesOffset = 832;
    internal const int PublisherSequenceStride = 64;
    internal const int MaxPublisherSlots = 16;

    /// <summary>The sequence word of publisher slot <paramref name="slot"/>, on a cache line of its own.</summary>
    internal static ulong* PublisherSequence(ControlBlock* block, int slot) =>
        (ulong*)((byte*)block + PublisherSequencesOffset + slot * PublisherSequenceStride);

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
