namespace SharedArrays.Lifecycle;

/// <summary>
/// The header line of one mapping (VMA) in <c>/proc/PID/maps</c> and <c>/proc/PID/smaps</c>:
/// <c>start-end perms offset MAJ:MIN inode [path]</c>, addresses, offset and device in hex, inode in
/// decimal (<c>show_map_vma</c> in the kernel's <c>fs/proc/task_mmu.c</c>).
/// </summary>
/// <remarks>
/// Mappings are matched by device and inode, never by the path: the path is whatever the name was
/// when the file was mapped (with " (deleted)" appended once it is removed), so a recreated name
/// would be mistaken for the old segment, and a renamed one missed.
/// </remarks>
internal readonly record struct VmaHeader(ulong Start, ulong End, bool Writable, FileIdentity Identity)
{
    internal long Length => (long)(End - Start);

    /// <summary>Parses a header line without allocating; false for any other line (smaps' "Rss: 4 kB" lines).</summary>
    internal static bool TryParse(ReadOnlySpan<byte> line, out VmaHeader header)
    {
        header = default;
        if (!TryHex(ref line, (byte)'-', out ulong start) || !TryHex(ref line, (byte)' ', out ulong end) || end < start)
        {
            return false;
        }
        // perms: four characters, e.g. "rw-s"
        if (line.Length < 5 || line[4] != (byte)' ')
        {
            return false;
        }
        bool writable = line[1] == (byte)'w';
        line = line[5..];
        if (!TryHex(ref line, (byte)' ', out _) ||
            !TryHex(ref line, (byte)':', out ulong major) || major > uint.MaxValue ||
            !TryHex(ref line, (byte)' ', out ulong minor) || minor > uint.MaxValue)
        {
            return false;
        }
        int digits = 0;
        ulong inode = 0;
        while (digits < line.Length && line[digits] is >= (byte)'0' and <= (byte)'9')
        {
            if (inode > (ulong.MaxValue - 9) / 10)
            {
                return false;
            }
            inode = inode * 10 + (ulong)(line[digits] - '0');
            digits++;
        }
        if (digits == 0 || (digits < line.Length && line[digits] != (byte)' '))
        {
            return false;
        }
        header = new VmaHeader(start, end, writable, new FileIdentity((uint)major, (uint)minor, inode));
        return true;
    }

    /// <summary>
    /// A smaps field given in kB (<c>"Rss:                 128 kB"</c>), in bytes; false if
    /// <paramref name="line"/> is another field. <paramref name="key"/> includes the colon, so that
    /// "Pss:" does not match "Pss_Dirty:".
    /// </summary>
    internal static bool TryParseKilobytes(ReadOnlySpan<byte> line, ReadOnlySpan<byte> key, out long bytes)
    {
        bytes = 0;
        if (!line.StartsWith(key))
        {
            return false;
        }
        line = line[key.Length..].TrimStart((byte)' ');
        int digits = 0;
        long kilobytes = 0;
        while (digits < line.Length && line[digits] is >= (byte)'0' and <= (byte)'9')
        {
            if (kilobytes > (long.MaxValue / 1024 - 9) / 10)
            {
                return false;
            }
            kilobytes = kilobytes * 10 + (line[digits] - '0');
            digits++;
        }
        if (digits == 0 || !line[digits..].SequenceEqual(" kB"u8))
        {
            return false;
        }
        bytes = kilobytes * 1024;
        return true;
    }

    /// <summary>Reads one to sixteen hex digits ending in <paramref name="terminator"/>, and consumes both.</summary>
    private static bool TryHex(ref ReadOnlySpan<byte> text, byte terminator, out ulong value)
    {
        value = 0;
        int i = 0;
        for (; i < text.Length && text[i] != terminator; i++)
        {
            int digit = text[i] switch
            {
                >= (byte)'0' and <= (byte)'9' => text[i] - '0',
                >= (byte)'a' and <= (byte)'f' => text[i] - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => text[i] - 'A' + 10,
                _ => -1,
            };
            if (digit < 0 || i == 16)
            {
                return false;
            }
            value = (value << 4) | (uint)digit;
        }
        if (i == 0 || i == text.Length)
        {
            return false;
        }
        text = text[(i + 1)..];
        return true;
    }
}
