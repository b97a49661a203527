using System.Text;
using SharedArrays.Lifecycle;
using SharedArrays.Segments;

namespace SharedArrays.Tests.Lifecycle;

public class VmaHeaderTests
{
    [Theory]
    [InlineData("7f3a2c000000-7f3a2c7a3000 rw-s 00000000 00:1a 4242                       /dev/shm/a b (deleted)",
        0x7f3a2c000000UL, 0x7f3a2c7a3000UL, true, 0x00u, 0x1au, 4242UL)]
    [InlineData("55d0c8a4b000-55d0c8a4d000 r--p 00001000 103:0f 1234567 /usr/bin/cat",
        0x55d0c8a4b000UL, 0x55d0c8a4d000UL, false, 0x103u, 0x0fu, 1234567UL)]
    [InlineData("7ffd1c5e0000-7ffd1c601000 rw-p 00000000 00:00 0                          [stack]",
        0x7ffd1c5e0000UL, 0x7ffd1c601000UL, true, 0u, 0u, 0UL)]
    [InlineData("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0",
        0xffffffffff600000UL, 0xffffffffff601000UL, false, 0u, 0u, 0UL)]
    public void Parses_mapping_headers(string line, ulong start, ulong end, bool writable, uint major, uint minor, ulong inode)
    {
        Assert.True(VmaHeader.TryParse(Encoding.ASCII.GetBytes(line), out VmaHeader header));
        Assert.Equal(new VmaHeader(start, end, writable, new FileIdentity(major, minor, inode)), header);
        Assert.Equal((long)(end - start), header.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Rss:                 128 kB")]
    [InlineData("AnonHugePages:         0 kB")]
    [InlineData("FilePmdMapped:         0 kB")]
    [InlineData("VmFlags: rd wr sh mr mw me ms sd")]
    [InlineData("7f3a2c000000-7f3a2c7a3000 rw-s 00000000 00:1a")]
    [InlineData("7f3a2c000000-7f3a2c7a3000 rw-s 00000000 00:1a x")]
    [InlineData("7f3a2c7a3000-7f3a2c000000 rw-s 00000000 00:1a 1 /end/before/start")]
    [InlineData("1ffffffffff600000-1ffffffffff601000 rw-s 00000000 00:1a 1 /seventeen/digits")]
    public void Rejects_other_lines(string line) =>
        Assert.False(VmaHeader.TryParse(Encoding.ASCII.GetBytes(line), out _));

    [Theory]
    [InlineData("Pss:                  12 kB", "Pss:", 12L * 1024)]
    [InlineData("Rss:                   0 kB", "Rss:", 0L)]
    [InlineData("Pss_Dirty:            12 kB", "Pss:", -1L)]
    [InlineData("Rss:                     kB", "Rss:", -1L)]
    [InlineData("Rss:                  12 MB", "Rss:", -1L)]
    public void Reads_kilobyte_fields_by_their_exact_key(string line, string key, long expected)
    {
        bool parsed = VmaHeader.TryParseKilobytes(Encoding.ASCII.GetBytes(line), Encoding.ASCII.GetBytes(key), out long bytes);
        Assert.Equal(expected >= 0, parsed);
        Assert.Equal(Math.Max(expected, 0), bytes);
    }

    [Fact]
    public void Every_line_of_this_process_maps_is_a_header()
    {
        using var reader = new ProcFileReader();
        reader.Open("/proc/self/maps");
        int lines = 0;
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            Assert.True(VmaHeader.TryParse(line, out _), Encoding.UTF8.GetString(line));
            lines++;
        }
        Assert.True(lines > 10, $"only {lines} lines");
    }

    [Fact]
    public void The_reader_returns_every_line_however_long_and_a_last_one_without_newline()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sharr-lines-{Guid.NewGuid():N}");
        try
        {
            // 200 KB lines are longer than the reader's buffer; the many short ones make it move data.
            string[] expected = [.. Enumerable.Range(0, 5000).Select(i => new string('x', i % 97)), new string('y', 200_000), "", "last"];
            File.WriteAllText(path, string.Join('\n', expected));
            using var reader = new ProcFileReader();
            for (int pass = 0; pass < 2; pass++)
            {
                reader.Open(path);
                var actual = new List<string>();
                while (reader.TryReadLine(out ReadOnlySpan<byte> line))
                {
                    actual.Add(Encoding.ASCII.GetString(line));
                }
                Assert.Equal(expected, actual);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
