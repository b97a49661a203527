using System.Security.Cryptography;
using SharedArrays.Tests.Infrastructure;
using static Interop.Libc;

namespace SharedArrays.Tests.Torture;

using Torture = SharedArrays.Tests.Infrastructure.Torture;

/// <summary>
/// Hostile input with real mounts, files and users. Torture 5: whatever another user (uid 65534, for
/// real, through setpriv) or a careless tool leaves under a name is refused with a typed error that names
/// the problem, and that user can do nothing to our segments; headers and control blocks that lie are
/// refused by name and by path; generated names cannot be guessed; everything we create is 0600.
/// Torture 6: a tmpfs that is full when a segment is created or opened. Each test prints what it did
/// and saw.
/// </summary>
[Trait("Category", Torture.Category)]
public class HostileInputTortureTests
{
    private static string ShmPath(string name) => Path.Combine("/dev/shm", name);

    // ---------------------------------------------------------------------------------------------
    // Torture 5: hostile names
    // ---------------------------------------------------------------------------------------------

    /// <summary>What can be planted under a name, what opening it must throw, and the words that say why.</summary>
    private static readonly Dictionary<string, (Type Error, string Says)> Planted = new()
    {
        ["symlink to our segment"] = (typeof(InvalidSegmentException), "symbolic link"),
        ["dangling symlink"] = (typeof(InvalidSegmentException), "symbolic link"),
        ["FIFO"] = (typeof(InvalidSegmentException), "FIFO"),
        ["directory"] = (typeof(InvalidSegmentException), "directory"),
        ["valid segment of another uid"] = (typeof(SegmentAccessDeniedException), $"belongs to uid {Attacker.Uid}"),
        ["our segment, mode 0666"] = (typeof(SegmentAccessDeniedException), "has mode 666"),
    };

    public static TheoryData<string> PlantedKinds => [.. Planted.Keys];

    [Theory]
    [MemberData(nameof(PlantedKinds))]
    public async Task An_object_planted_under_a_name_is_refused_with_a_typed_error_that_names_the_problem(string kind)
    {
        string name = Names.Unique("plant");
        string path = ShmPath(name);
        using var target = SharedArray<double>.Full(Names.Unique("target"), [1000], 7.0);
        byte[] segmentBytes = File.ReadAllBytes(target.Path);
        bool byAttacker = Attacker.Unavailable is null && kind != "our segment, mode 0666";
        if (kind == "valid segment of another uid" && !byAttacker)
        {
            Assert.Skip(Attacker.Unavailable!);
        }
        try
        {
            Plant(kind, path, target.Path, segmentBytes, byAttacker);
            Assert.True(Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out StatxBuf planted) == 0, $"{kind} was not planted");
            Assert.Equal(byAttacker ? (uint)Attacker.Uid : GetEUid(), planted.stx_uid);

            var (error, says) = Planted[kind];
            var attempts = new (string What, Func<object> Open)[]
            {
                ("Open", () => SharedArray.Open(name)),
                ("Open read-only", () => SharedArray.Open(name, new SharedArrayOpenOptions { ReadOnly = true })),
                ("Open<double>", () => SharedArray<double>.Open(name)),
                ("Open(handle)", () => SharedArray.Open(new SharedArrayHandle(name, target.Generation, DType.Float64, [1000], 0, [1]))),
            };
            foreach (var (what, open) in attempts)
            {
                // A FIFO must not block the open; a deadline turns a hang into a failure.
                CancellationToken cancel = TestContext.Current.CancellationToken;
                Task<object> task = Task.Run(open, cancel);
                Assert.Same(task, await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10), cancel)));
                Exception e = await Assert.ThrowsAnyAsync<Exception>(() => task);
                Assert.IsType(error, e);
                Assert.Contains(says, e.Message, StringComparison.Ordinal);
                Assert.Contains(path, e.Message, StringComparison.Ordinal);
                Assert.Equal(name, ((SharedArrayException)e).SegmentName);
            }

            // Creating over it fails without touching it, and listing does not trip over it.
            Assert.Throws<SegmentExistsException>(() => SharedArray<double>.Create(name, [1000]));
            Assert.Equal(0, Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out StatxBuf after));
            Assert.Equal((planted.stx_ino, planted.stx_mode, planted.stx_uid, planted.stx_size), (after.stx_ino, after.stx_mode, after.stx_uid, after.stx_size));
            bool listed = SharedArray.List().Any(i => i.Name == name);
            Assert.Equal(kind is "valid segment of another uid" or "our segment, mode 0666", listed); // a segment, just not ours to open
            if (kind == "our segment, mode 0666")
            {
                using var allowed = SharedArray<double>.Open(name, new SharedArrayOpenOptions { AllowGroupOrOtherAccess = true });
                Assert.Equal(7.0, allowed[999]);
            }
            Assert.Equal(segmentBytes, File.ReadAllBytes(target.Path));
            Torture.Report($"planted {kind} (by uid {planted.stx_uid}): {attempts.Length} opens refused with {error.Name} ('{says}'), " +
                           "create refused with SegmentExistsException, the object and our segment unchanged");
        }
        finally
        {
            Names.Cleanup(name);
        }
    }

    private static void Plant(string kind, string path, string ours, byte[] segmentBytes, bool byAttacker)
    {
        string command = kind switch
        {
            "symlink to our segment" => $"ln -s '{ours}' '{path}'",
            "dangling symlink" => $"ln -s '{path}.nowhere' '{path}'",
            "FIFO" => $"mkfifo -m 600 '{path}'",
            "directory" => $"mkdir -m 700 '{path}'",
            "valid segment of another uid" => $"umask 077; cat > '{path}'",
            _ => $"umask 000; cat > '{path}'; chmod 666 '{path}'",
        };
        bool stdin = kind is "valid segment of another uid" or "our segment, mode 0666";
        Processes.Result result = byAttacker
            ? Attacker.Run(command, stdin ? segmentBytes : null)
            : RunShell(command, stdin ? segmentBytes : null);
        Assert.True(result.ExitCode == 0, $"planting {kind} failed: {result.StdErr}");
    }

    private static Processes.Result RunShell(string script, byte[]? stdin)
    {
        var process = Processes.Start("/bin/sh", ["-c", script]);
        if (stdin is not null)
        {
            process.StandardInput.BaseStream.Write(stdin);
            process.StandardInput.BaseStream.Flush();
        }
        return Processes.Run(process);
    }

    [Fact]
    public void Another_user_can_neither_read_write_truncate_replace_nor_remove_our_segment()
    {
        if (Attacker.Unavailable is { } reason)
        {
            Assert.Skip(reason);
        }
        // The kernel refuses removal and replacement by others only because /dev/shm is sticky (1777).
        Assert.True(File.GetUnixFileMode("/dev/shm").HasFlag(UnixFileMode.StickyBit), "/dev/shm is not sticky (mode 1777)");
        string name = Names.Unique("victim");
        string path = ShmPath(name);
        string evil = Names.Unique("evil");
        using var ours = SharedArray<long>.Create(name, [1000]);
        for (long i = 0; i < 1000; i++)
        {
            ours[i] = i * i;
        }
        Assert.Equal(0, Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out StatxBuf before));
        byte[] bytes = File.ReadAllBytes(path);
        bool protectedHardlinks = File.ReadAllText("/proc/sys/fs/protected_hardlinks").Trim() == "1";

        var attempts = new List<(string What, string Script, string Expected)>
        {
            ("read", $"cat '{path}' > /dev/null", "Permission denied"),
            ("write in place", $"printf x 1<> '{path}'", "Permission denied"),
            ("truncate", $"truncate -s 0 '{path}'", "Permission denied"),
            ("chmod 666", $"chmod 666 '{path}'", "Operation not permitted"),
            ("remove", $"rm -f '{path}'", "Operation not permitted"),
            ("replace by rename", $"umask 077; printf evil > '/dev/shm/{evil}' && mv -f '/dev/shm/{evil}' '{path}'", "Operation not permitted"),
            ("open with SharedArrays", $"'{DotnetHost}' '{Processes.TestChildDll}' attach '{name}'", $"{nameof(SegmentAccessDeniedException)}: Permission denied opening '{path}': it belongs to uid 0"),
        };
        if (protectedHardlinks)
        {
            // Without fs.protected_hardlinks anyone may hard-link a file they cannot read; the link
            // would keep our memory alive after we remove the name.
            attempts.Add(("hard link", $"ln '{path}' '/dev/shm/{evil}.link'", "Operation not permitted"));
        }
        try
        {
            foreach (var (what, script, expected) in attempts)
            {
                Processes.Result result = Attacker.Run(script);
                Assert.True(result.ExitCode != 0, $"uid {Attacker.Uid} managed to {what} our segment: {result.StdOut}{result.StdErr}");
                Assert.Contains(expected, result.StdErr, StringComparison.Ordinal);
            }
        }
        finally
        {
            Names.Cleanup(evil);
            Names.Cleanup(evil + ".link");
        }

        // Intact: the same object, mode, owner and bytes, and still ours to open.
        Assert.Equal(0, Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out StatxBuf after));
        Assert.Equal((before.stx_ino, before.stx_mode, before.stx_uid, before.stx_size), (after.stx_ino, after.stx_mode, after.stx_uid, after.stx_size));
        Assert.Equal(0x8180, after.stx_mode); // regular file, 0600
        Assert.Equal(bytes, File.ReadAllBytes(path));
        using var again = SharedArray<long>.Open(name);
        Assert.Equal(999L * 999, again[999]);
        Torture.Report($"uid {Attacker.Uid} against our 0600 segment in sticky /dev/shm: {attempts.Count} attempts " +
                       $"({string.Join(", ", attempts.Select(a => a.What))}), {attempts.Count} refused by the kernel; " +
                       $"segment intact (inode, mode 0600, owner uid {after.stx_uid}, {bytes.Length:N0} bytes identical)" +
                       (protectedHardlinks ? "" : "; hard link not attempted: fs.protected_hardlinks is off here"));
    }

    /// <summary>
    /// Headers and control blocks that lie, built from a real float64 (1000,) segment of 16,384 bytes
    /// (control block at 12,288), and the words the refusal must contain. "Forged" lies recompute the
    /// checksum and keep header and control block in agreement, so only the sizes can give them away.
    /// </summary>
    private static readonly Dictionary<string, (Func<byte[]> Build, string Says)> Lies = new()
    {
        ["file shorter than its header claims"] = (() => Base()[..5096], "the file is truncated: the header describes 8000 bytes of data at offset 4096"),
        ["forged shape larger than the file"] = (() => Relabel("<f8", "(3000,)"), "the file is truncated: the header describes 24000 bytes"),
        ["forged dtype larger than the data"] = (() => Relabel("<c16", "(1000,)"), "the file is truncated: the header describes 16000 bytes"),
        ["forged shape x itemsize over 2^63"] = (() => Relabel("<f8", "(4611686018427387904, 4)"), "larger than 2^63 bytes"),
        ["negative axis"] = (() => Relabel("<f8", "(-5,)"), "negative length -5"),
        ["33 axes"] = (() => Relabel("<f8", "(" + string.Join(", ", Enumerable.Repeat("1", 33)) + ")"), "more than 32 axes"),
        ["object dtype"] = (() => Relabel("|O", "(1000,)"), "is not supported"),
        ["big-endian dtype"] = (() => Relabel(">f8", "(1000,)"), "is big-endian"),
        ["header length past the end of the file"] = (() => Patch(b => b[8] = b[9] = 0xFF), "the header length field says 65535 bytes, which runs past the end of the file (16384 bytes)"),
        ["header length short of the dict"] = (() => Patch(b => (b[8], b[9]) = (20, 0)), "does not end in a newline"),
        ["wrong magic"] = (() => Patch(b => b[1] = (byte)'X'), "does not start with the .npy magic"),
        ["unsupported .npy version"] = (() => Patch(b => b[6] = 9), ".npy format version 9.0 is not supported"),
        ["forged fortran_order"] = (() => Relabel("<f8", "(1000,)", "True"), "fortran_order"),
        ["control block dtype disagrees"] = (() => Forge((b, t) => { Set(b, t + 60, 4, 11); Set(b, t + 64, 4, 4); }), "dtype code 11 (item size 4) disagrees with the header's '<f8'"),
        ["control block shape disagrees"] = (() => Forge((b, t) => Set(b, t + 88, 8, 999)), "axis 0 has length 999 in the control block and 1000 in the header"),
        ["control block rank disagrees"] = (() => Forge((b, t) => Set(b, t + 68, 4, 2)), "rank 2 disagrees with the header's rank 1"),
        ["control block data offset outside the file"] = (() => Forge((b, t) => Set(b, t + 72, 8, 1L << 40)), "data offset/bytes 1099511627776/8000 disagree with the header's 4096/8000"),
        ["control block data bytes beyond the file"] = (() => Forge((b, t) => Set(b, t + 80, 8, 1L << 40)), "data offset/bytes 4096/1099511627776 disagree"),
        ["control block size field disagrees"] = (() => Forge((b, t) => Set(b, t + 12, 4, 8192)), "block size 8192, expected 4096"),
        ["control block layout version 2"] = (() => Forge((b, t) => Set(b, t + 8, 4, 2)), "layout version 2, this library reads version 1"),
        ["control block changed without its checksum"] = (() => Forge((b, t) => b[t + 16] ^= 1, reseal: false), "checksum mismatch"),
        ["control block truncated"] = (() => Base()[..(12288 + 100)], "needs a file of exactly 16384 bytes, but the file has 12388"),
        ["bytes appended after the control block"] = (() => [.. Base(), 0], "needs a file of exactly 16384 bytes, but the file has 16385"),
        ["unknown state word"] = (() => Forge((b, t) => Set(b, t + 384, 4, 7), reseal: false), "unknown state 7"),
        ["forever initialising"] = (() => Forge((b, t) => Set(b, t + 384, 4, 0), reseal: false), "is still initialising (its creator, PID"),
        ["empty file"] = (() => [], "is empty (0 bytes)"),
    };

    public static TheoryData<string, string> LyingFiles =>
        [.. Lies.Keys.SelectMany(lie => new[] { (lie, "by name"), (lie, "by path, read-only") })];

    [Theory]
    [MemberData(nameof(LyingFiles))]
    public void A_header_or_control_block_that_lies_is_refused_with_InvalidSegmentException_naming_the_problem(string lie, string how)
    {
        var (build, says) = Lies[lie];
        byte[] file = build();
        using var dir = new PrivateDirectory("tlie");
        bool byName = how == "by name";
        string name = Names.Unique("lie");
        string target = byName ? name : dir.PathOf("lie.npy");
        try
        {
            SegmentImages.WriteFile(byName ? ShmPath(name) : target, file);
            var options = new SharedArrayOpenOptions { ReadOnly = !byName, Timeout = TimeSpan.FromMilliseconds(100) };
            var e = Assert.Throws<InvalidSegmentException>(() => SharedArray.Open(target, options));
            Assert.Contains(says, e.Message, StringComparison.Ordinal);
            Assert.Contains($"'{target}'", e.Message, StringComparison.Ordinal);
            Assert.Equal(target, e.SegmentName);
            Torture.Report($"{lie}, {how}: InvalidSegmentException: {e.Message}");
        }
        finally
        {
            Names.Cleanup(name);
        }
    }

    private static byte[] Base() => SegmentImages.Segment(DType.Float64, [1000]);

    private static void Set(byte[] file, int offset, int size, long value) => SegmentImages.Write(file, offset, size, value);

    private static byte[] Patch(Action<byte[]> change)
    {
        byte[] file = Base();
        change(file);
        return file;
    }

    private static byte[] Forge(Action<byte[], int> change, bool reseal = true)
    {
        byte[] file = Base();
        int trailer = SegmentImages.TrailerOf(file);
        change(file, trailer);
        if (reseal)
        {
            SegmentImages.Reseal(file, trailer);
        }
        return file;
    }

    /// <summary>A new header dict, with the control block rewritten to agree (dtype, rank, shape, data bytes) and resealed.</summary>
    private static byte[] Relabel(string descr, string shape, string fortranOrder = "False")
    {
        byte[] file = Base();
        int trailer = SegmentImages.TrailerOf(file);
        SegmentImages.WriteHeader(file, 1, 4096, SegmentImages.Dict(descr, fortranOrder, shape));
        long[] dims = shape.Trim('(', ')').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.Parse(d, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        int itemSize = DTypes.TryParse(descr, out DType dtype) ? dtype.ItemSize() : 8;
        long bytes = itemSize;
        foreach (long d in dims)
        {
            bytes = unchecked(bytes * d);
        }
        Set(file, trailer + 60, 4, DTypes.TryParse(descr, out dtype) ? (long)dtype : 0);
        Set(file, trailer + 64, 4, itemSize);
        Set(file, trailer + 68, 4, dims.Length);
        Set(file, trailer + 80, 8, bytes);
        for (int i = 0; i < Math.Min(dims.Length, 32); i++)
        {
            Set(file, trailer + 88 + (8 * i), 8, dims[i]);
        }
        SegmentImages.Reseal(file, trailer);
        return file;
    }

    [Fact]
    public void Generated_names_carry_at_least_128_random_bits_in_at_most_30_characters()
    {
        int count = Torture.Scaled(10_000);
        string[] names = new string[count];
        for (int i = 0; i < count; i++)
        {
            names[i] = SharedArray.GenerateName();
        }
        Assert.Equal(count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n =>
        {
            Assert.Matches("^sharr-[A-Za-z0-9_-]{22}$", n); // base64url: 64 symbols, 6 bits each
            Assert.InRange(n.Length, 1, 30);                // macOS: 31 including the slash
            Assert.True(SharedArrays.Segments.SegmentDirectory.IsValidName(n));
        });

        // 22 symbols of 6 bits are 132 random bits only if each is uniform and independent of its
        // neighbour: chi-squared of every position (63 degrees of freedom) and, with enough names, of
        // every adjacent pair (4095), each within 8 standard deviations of its mean.
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        double worstSingle = 0, worstPair = 0;
        for (int position = 6; position < 28; position++)
        {
            double chi = ChiSquared(names.Select(n => Alphabet.IndexOf(n[position], StringComparison.Ordinal)), 64, count);
            worstSingle = Math.Max(worstSingle, chi);
            Assert.True(chi < 63 + (8 * Math.Sqrt(2 * 63)), $"position {position} is not uniform: chi-squared {chi:0.0} for 63 degrees of freedom");
            if (count >= 10_000 && position < 27)
            {
                double pair = ChiSquared(names.Select(n => (64 * Alphabet.IndexOf(n[position], StringComparison.Ordinal)) + Alphabet.IndexOf(n[position + 1], StringComparison.Ordinal)), 4096, count);
                worstPair = Math.Max(worstPair, pair);
                Assert.True(pair < 4095 + (8 * Math.Sqrt(2 * 4095)), $"positions {position} and {position + 1} are not independent: chi-squared {pair:0.0} for 4095");
            }
        }

        using var array = SharedArray<byte>.Create(null, [3]);
        Assert.Matches("^sharr-[A-Za-z0-9_-]{22}$", array.Name);
        Torture.Report($"{count:N0} generated names: all distinct, {names[0].Length} characters (at most 30), 22 base64url symbols " +
                       $"(132 bits); worst chi-squared {worstSingle:0.0} of 63 per position" +
                       (worstPair > 0 ? $", {worstPair:0.0} of 4095 per adjacent pair" : ""));
    }

    private static double ChiSquared(IEnumerable<int> symbols, int categories, int count)
    {
        int[] observed = new int[categories];
        foreach (int s in symbols)
        {
            observed[s]++;
        }
        double expected = (double)count / categories;
        return observed.Sum(o => (o - expected) * (o - expected) / expected);
    }

    [Theory]
    [InlineData("0277")] // strips owner write from 0600: it must be restored
    [InlineData("0000")] // strips nothing: 0600 must stay 0600, never wider
    public void Segments_made_by_sharr_load_are_0600_whatever_the_umask(string umask)
    {
        // SharedArray.Create under a hostile umask is CrossProcessTests.Segments_are_0600_whatever_the_creators_umask;
        // NpyFile.Load (here through sharr load) creates through the same path, and so must give 0600 too.
        string name = Names.Unique("umask");
        string npy = Path.Combine(Path.GetTempPath(), name + ".npy");
        try
        {
            byte[] source = SegmentImages.Npy(DType.Int32, [10, 10], random: new Random(1));
            File.WriteAllBytes(npy, source);
            var result = Processes.Run(Processes.Start("/bin/sh", ["-c", $"umask {umask}; exec '{DotnetHost}' '{Processes.SharrDll}' load '{npy}' {name}"]));
            Assert.True(result.ExitCode == 0, result.StdErr);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ShmPath(name)));
            using var loaded = SharedArray<int>.Open(name); // the default options refuse any group/other bit
            Assert.Equal(BitConverter.ToInt32(source, source.Length - 4), loaded[9, 9]);
            Torture.Report($"sharr load under umask {umask}: the segment is 0600");
        }
        finally
        {
            Names.Cleanup(name);
            File.Delete(npy);
        }
    }

    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    // ---------------------------------------------------------------------------------------------
    // Torture 6: a full tmpfs at create time and at open time
    // ---------------------------------------------------------------------------------------------
    [Fact]
    public void Create_in_a_tmpfs_without_room_gives_a_typed_error_and_leaves_nothing_behind()
    {
        using Tmpfs tmpfs = MountOrSkip("size=1m");
        var options = new SharedArrayCreateOptions { Directory = tmpfs.Path };
        int refused = 0;

        // Bigger than the whole file system: refused before a byte is reserved.
        var e = Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray<double>.Create("big", [1_000_000], options));
        refused++;
        Assert.Equal(tmpfs.Path, e.Directory);
        Assert.Equal(4096L + 8_003_584 + 4096, e.RequestedBytes);
        Assert.InRange(e.AvailableBytes, 0, 1 << 20);
        Assert.Contains("--shm-size", e.Message, StringComparison.Ordinal);
        Assert.Empty(tmpfs.Entries());

        // A segment that fits works there, and goes away again.
        using (var small = SharedArray<byte>.Full("small", [1000], 3, options))
        {
            Assert.Equal(tmpfs.PathOf("small"), small.Path);
        }
        Assert.Empty(tmpfs.Entries());

        // A segment created while there was room stays usable when the tmpfs fills up: its memory was
        // reserved at creation, so writing every page now cannot SIGBUS.
        using (var early = SharedArray<double>.Create("early", [10_000], options))
        {
            tmpfs.Fill();
            early.Fill(2.5);
            Assert.Equal(25_000.0, ArrayStatistics.Compute(early).Sum);

            // Exactly full: not one page free. Even the smallest segment (two pages) is refused, by
            // SharedArray.Create and by NpyFile.Load alike, and neither leaves its temporary name.
            Assert.Equal(0, tmpfs.Available);
            e = Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray<byte>.Create("tiny", [0], options));
            refused++;
            Assert.Equal(8192, e.RequestedBytes);
            Assert.Equal(0, e.AvailableBytes);
            string npy = Path.Combine(Path.GetTempPath(), Names.Unique("load") + ".npy");
            try
            {
                File.WriteAllBytes(npy, SegmentImages.Npy(DType.Int16, [100]));
                Assert.Throws<InsufficientSharedMemoryException>(() => NpyFile.Load(npy, "loaded", options));
                refused++;
            }
            finally
            {
                File.Delete(npy);
            }
            Assert.Equal(["early", "filler"], tmpfs.Entries());

            // Three pages free: a segment of exactly three pages fits, one of four does not.
            using (var filler = new FileStream(tmpfs.PathOf("filler"), FileMode.Open))
            {
                filler.SetLength(filler.Length - (3 * 4096));
            }
            Assert.Equal(3 * 4096, tmpfs.Available);
            e = Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray<double>.Create("four", [513], options));
            refused++;
            Assert.Equal(4 * 4096, e.RequestedBytes);
            Assert.Equal(3 * 4096, e.AvailableBytes);
            using (var three = SharedArray<double>.Full("three", [512], 1.0, options))
            {
                Assert.Equal(0, tmpfs.Available);
                Assert.Equal(512.0, ArrayStatistics.Compute(three).Sum);
            }
        }
        Assert.Equal(["filler"], tmpfs.Entries());
        Torture.Report($"full tmpfs at create time: {refused} creates refused with InsufficientSharedMemoryException " +
                       "(larger than the tmpfs, exactly full via Create and NpyFile.Load, one page short), 0 names left behind; " +
                       "a segment reserved earlier was filled while the tmpfs was full, and one of exactly the free size was created");
    }

    [Fact]
    public void A_tmpfs_out_of_inodes_refuses_create_with_a_typed_error_and_an_unlimited_one_accepts_it()
    {
        // nr_inodes=1: the root directory takes the only inode, so not even the temporary name can exist.
        using (Tmpfs noInodes = MountOrSkip("size=1m,nr_inodes=1"))
        {
            var e = Assert.Throws<InsufficientSharedMemoryException>(() =>
                SharedArray<byte>.Create("x", [10], new SharedArrayCreateOptions { Directory = noInodes.Path }));
            Assert.Contains("no inodes", e.Message, StringComparison.Ordinal);
            Assert.Empty(noInodes.Entries());
        }

        // size=0 is a tmpfs without a limit, whose statvfs reports 0 blocks of 0 free: that is "unknown",
        // not "full" (it used to refuse every create there).
        using Tmpfs unlimited = MountOrSkip("size=0");
        Assert.Equal(0, unlimited.Available);
        using (var array = SharedArray<double>.Full("x", [100_000], 4.0, new SharedArrayCreateOptions { Directory = unlimited.Path }))
        {
            Assert.Equal(400_000.0, ArrayStatistics.Compute(array).Sum);
        }
        Assert.Empty(unlimited.Entries());
        Torture.Report("tmpfs with nr_inodes=1: create refused with InsufficientSharedMemoryException naming the inodes, nothing left; " +
                       "tmpfs with size=0 (statvfs: 0 blocks): an 800 KB segment created, filled and removed");
    }

    [Theory]
    [InlineData("segment")]
    [InlineData("npy")]
    public void A_sparse_file_in_a_full_tmpfs_is_refused_with_a_typed_error_instead_of_SIGBUS_and_left_untouched(string kind)
    {
        using Tmpfs tmpfs = MountOrSkip("size=1m");
        // 800,000 bytes of float64 whose data pages are holes, as `truncate`, `cp --sparse=always` or
        // numpy's open_memmap leave them: only the header (and control block) pages are allocated.
        byte[] image = kind == "segment" ? SegmentImages.Segment(DType.Float64, [100_000]) : SegmentImages.Npy(DType.Float64, [100_000]);
        int dataOffset = kind == "segment" ? 4096 : 128;
        string name = "sparse";
        string path = tmpfs.PathOf(name);
        WriteSparse(path, image, dataOffset, kind == "segment");
        tmpfs.Fill();
        var before = Describe(path);
        Assert.True(before.Blocks * 512 < before.Size - 700_000, $"the file should be sparse: {before.Blocks} blocks for {before.Size} bytes");
        long holes = before.Size - (before.Blocks * 512);

        // The danger is real: a write into a hole fails, and a process that maps the file and touches a
        // hole, to write or merely to read, dies of SIGBUS.
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            Assert.Throws<IOException>(() => RandomAccess.Write(handle, new byte[] { 1 }, 400_000));
        }
        string sigbus = "SIGBUS not demonstrated (no python3)";
        if (Python.Executable is { } python)
        {
            foreach (string touch in new[] { "m[400000] = 1", "m[400000]" })
            {
                string script = $"import mmap, os\nfd = os.open({Quote(path)}, os.O_RDWR)\nm = mmap.mmap(fd, 0)\n{touch}\nprint('survived')";
                var result = Processes.Run(Processes.Start(python, ["-c", script]));
                Assert.True(result.ExitCode == 128 + 7, $"python '{touch}' should die of SIGBUS (exit 135), got {result.ExitCode}: {result.StdOut}{result.StdErr}");
            }
            sigbus = "python3 mapping it died of SIGBUS on a write and on a read";
        }

        // We refuse with a typed error instead: writable (the reservation fails) and read-only (on
        // tmpfs a read fault allocates too), by name and by path, in this process and in a child.
        var byName = new SharedArrayOpenOptions { Directory = tmpfs.Path };
        var refusals = new List<InsufficientSharedMemoryException>
        {
            Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray.Open(name, byName)),
            Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray.Open(path)),
            Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray.Open(name, byName with { ReadOnly = true })),
            Assert.Throws<InsufficientSharedMemoryException>(() => SharedArray<double>.Open(path, new SharedArrayOpenOptions { ReadOnly = true })),
        };
        foreach (var e in refusals)
        {
            Assert.Equal(tmpfs.Path, e.Directory);
            Assert.Equal(holes, e.RequestedBytes);
            Assert.Equal(0, e.AvailableBytes);
            Assert.Contains("holes", e.Message, StringComparison.Ordinal);
            Assert.Contains("SIGBUS", e.Message, StringComparison.Ordinal);
            Assert.Contains($"has 0 B (0 bytes) free", e.Message, StringComparison.Ordinal);
        }
        SegmentInfo info = SharedArray.Inspect(name, tmpfs.Path); // reads only the header and control block: fine
        var handleText = new SharedArrayHandle(kind == "segment" ? name : path, info.Generation, DType.Float64, [100_000], 0, [1]).ToString();
        var child = Processes.Run(Processes.StartChild(new Dictionary<string, string> { ["SHARR_DIR"] = tmpfs.Path }, "fill", handleText, "1"));
        Assert.True(child.ExitCode == 2, $"the child should fail with a typed error, not die (exit {child.ExitCode}): {child.StdErr}");
        Assert.StartsWith(nameof(InsufficientSharedMemoryException), child.StdErr, StringComparison.Ordinal);

        // Nothing changed: not a byte, not a block, no new name.
        Assert.Equal(before, Describe(path));
        Assert.Equal(["filler", name], tmpfs.Entries());

        // With room again, a read-only open needs no reservation, and a writable one reserves the holes
        // so that writing every page is safe.
        File.Delete(tmpfs.PathOf("filler"));
        using (var reader = SharedArray<double>.Open(name, byName with { ReadOnly = true }))
        {
            Assert.Equal(before.Blocks, Describe(path).Blocks);
            Assert.Equal(0.0, reader.GetValue(50_000));
        }
        using (var writer = SharedArray<double>.Open(name, byName))
        {
            Assert.True(Describe(path).Blocks * 512 >= before.Size, "a writable open reserves every hole");
            writer.Fill(1.0);
            Assert.Equal(100_000.0, ArrayStatistics.Compute(writer).Sum);
        }
        Torture.Report($"sparse {kind} ({before.Size:N0} bytes, {holes:N0} in holes) in a full 1 MiB tmpfs: {sigbus}; " +
                       $"{refusals.Count} opens (writable and read-only, by name and by path) and 1 child refused with " +
                       "InsufficientSharedMemoryException, file unchanged (bytes, blocks), nothing left behind; " +
                       "with room, read-only open reserved nothing and writable open reserved the holes");
    }

    private static Tmpfs MountOrSkip(string options)
    {
        Tmpfs? tmpfs = Tmpfs.TryMount(options, out string? reason);
        if (tmpfs is null)
        {
            Assert.Skip(reason!);
        }
        return tmpfs;
    }

    /// <summary>Writes only the header (and control block) pages of <paramref name="image"/>; the rest is a hole.</summary>
    private static void WriteSparse(string path, byte[] image, int dataOffset, bool withControlBlock)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using var stream = new FileStream(path, options);
        stream.Write(image, 0, dataOffset);
        stream.SetLength(image.Length);
        if (withControlBlock)
        {
            stream.Position = image.Length - 4096;
            stream.Write(image, image.Length - 4096, 4096);
        }
    }

    /// <summary>Size, allocated 512-byte blocks, and a hash of the bytes (read with read(2), which allocates nothing on tmpfs).</summary>
    private static (long Size, long Blocks, string Hash) Describe(string path)
    {
        Assert.Equal(0, Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out StatxBuf st));
        return ((long)st.stx_size, (long)st.stx_blocks, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))));
    }

    private static string Quote(string text) => "'" + text.Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
