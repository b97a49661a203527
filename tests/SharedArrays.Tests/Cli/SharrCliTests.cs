using System.Globalization;
using System.Numerics;
using System.Text.Json;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Cli;

/// <summary>
/// The real <c>sharr</c> executable, run as a child process: outputs, JSON documents, exit codes and
/// one-line errors. Every test removes what it creates.
/// </summary>
[Collection(nameof(SharrCliCollection))]
public class SharrCliTests
{
    private static JsonElement Json(Processes.Result result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StdErr}");
        // Exactly one document and nothing else: Parse throws on trailing content.
        return JsonDocument.Parse(result.StdOut).RootElement.Clone();
    }

    private static void AssertOneLineError(Processes.Result result, int exitCode, string contains)
    {
        Assert.Equal(exitCode, result.ExitCode);
        string[] lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got: {result.StdErr}");
        Assert.StartsWith("sharr: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(contains, lines[0], StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", result.StdOut);
    }

    private static T[] Read<T>(string name) where T : unmanaged
    {
        using var array = SharedArray<T>.Open(name);
        return array.ToArray();
    }

    /// <summary>Runs sharr in another working directory (for relative paths).</summary>
    private static Processes.Result RunSharrIn(string workingDirectory, params string[] args)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        var info = new System.Diagnostics.ProcessStartInfo(host)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Processes.SharrDll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        return Processes.Run(System.Diagnostics.Process.Start(info)!);
    }

    private static string TempFile(string suffix) => Path.Combine(Path.GetTempPath(), $"sharr-cli-test-{Guid.NewGuid():N}{suffix}");

    [Fact]
    public void The_by_hand_scenario_create_write_stats_rm()
    {
        string name = Names.Unique("a1");
        try
        {
            var created = Processes.RunSharr("create", name, "--dtype", "float64", "--shape", "1000,1000", "--fill", "1.5");
            Assert.True(created.ExitCode == 0, created.StdErr);
            string handle = created.StdOut.Trim();
            Assert.StartsWith($"sharr1:{name}:", handle, StringComparison.Ordinal);
            Assert.Equal(handle, SharedArrayHandle.Parse(handle).ToString());

            using (var array = SharedArray<double>.Open(name))
            {
                array[3, 4] = 7;
            }

            JsonElement stats = Json(Processes.RunSharr("stats", name, "--json"));
            Assert.Equal(7.0, stats.GetProperty("max").GetDouble());
            Assert.Equal(1.5, stats.GetProperty("min").GetDouble());
            Assert.Equal(1500005.5, stats.GetProperty("sum").GetDouble());
            Assert.Equal(1_000_000, stats.GetProperty("count").GetInt64());

            var removed = Processes.RunSharr("rm", name);
            Assert.True(removed.ExitCode == 0, removed.StdErr);
            Assert.Contains(name, removed.StdOut, StringComparison.Ordinal);
            Assert.False(File.Exists("/dev/shm/" + name));
        }
        finally
        {
            Names.Cleanup(name);
        }
    }

    [Theory]
    [InlineData("float64", DType.Float64)]
    [InlineData("f8", DType.Float64)]
    [InlineData("<f8", DType.Float64)]
    [InlineData("double", DType.Float64)]
    [InlineData("int32", DType.Int32)]
    [InlineData("uint8", DType.UInt8)]
    [InlineData("bool", DType.Bool)]
    [InlineData("complex128", DType.Complex128)]
    [InlineData("c8", DType.Complex64)]
    [InlineData("float16", DType.Float16)]
    public void Create_accepts_numpy_dtype_spellings(string spelling, DType expected)
    {
        string name = Names.Unique("dt");
        try
        {
            JsonElement json = Json(Processes.RunSharr("create", name, "--dtype", spelling, "--shape", "2,3", "--json"));
            Assert.Equal(name, json.GetProperty("name").GetString());
            Assert.Equal(expected.Name(), json.GetProperty("dtype").GetString());
            Assert.Equal(expected.Descr(), json.GetProperty("descr").GetString());
            Assert.Equal([2L, 3L], json.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
            Assert.Equal(6 * expected.ItemSize(), json.GetProperty("bytes").GetInt64());
            Assert.Equal("/dev/shm/" + name, json.GetProperty("path").GetString());
            Assert.StartsWith($"sharr1:{name}:", json.GetProperty("handle").GetString(), StringComparison.Ordinal);

            SegmentInfo info = SharedArray.Inspect(name);
            Assert.Equal(expected, info.DType);
            Assert.True(info.Persistent, "sharr create makes persistent segments");
        }
        finally
        {
            Assert.True(SharedArray.Remove(name) || !File.Exists("/dev/shm/" + name));
        }
    }

    [Fact]
    public void Create_fills_every_dtype_from_its_own_spelling_of_a_value()
    {
        var cases = new (string DType, string Fill, Action<string> Check)[]
        {
            ("bool", "true", n => Assert.All(Read<bool>(n), v => Assert.True(v))),
            ("int8", "-5", n => Assert.All(Read<sbyte>(n), v => Assert.Equal(-5, v))),
            ("uint64", "18446744073709551615", n => Assert.All(Read<ulong>(n), v => Assert.Equal(ulong.MaxValue, v))),
            ("int64", "1e3", n => Assert.All(Read<long>(n), v => Assert.Equal(1000, v))),
            ("float16", "0.5", n => Assert.All(Read<Half>(n), v => Assert.Equal((Half)0.5, v))),
            ("float32", "-inf", n => Assert.All(Read<float>(n), v => Assert.Equal(float.NegativeInfinity, v))),
            ("complex128", "1+2j", n => Assert.All(Read<Complex>(n), v => Assert.Equal(new Complex(1, 2), v))),
            ("complex128", "-2.5e-1-3j", n => Assert.All(Read<Complex>(n), v => Assert.Equal(new Complex(-0.25, -3), v))),
            ("complex64", "1,2", n => Assert.All(Read<Complex64>(n), v => Assert.Equal(new Complex64(1, 2), v))),
            ("complex64", "4", n => Assert.All(Read<Complex64>(n), v => Assert.Equal(new Complex64(4, 0), v))),
        };
        foreach (var (dtype, fill, check) in cases)
        {
            string name = Names.Unique("fill");
            try
            {
                var result = Processes.RunSharr("create", name, "--dtype", dtype, "--shape", "3", "--fill", fill);
                Assert.True(result.ExitCode == 0, $"{dtype} {fill}: {result.StdErr}");
                check(name);
            }
            finally
            {
                SharedArray.Remove(name);
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("()")]
    public void An_empty_shape_is_a_rank_0_scalar(string shape)
    {
        string name = Names.Unique("r0");
        try
        {
            var result = Processes.RunSharr("create", name, "--dtype", "f8", "--shape", shape, "--fill", "3.25");
            Assert.True(result.ExitCode == 0, result.StdErr);
            using var scalar = SharedArray<double>.Open(name);
            Assert.Equal(0, scalar.Rank);
            Assert.Equal(3.25, scalar.GetValue());
        }
        finally
        {
            SharedArray.Remove(name);
        }
    }

    [Fact]
    public void Info_json_describes_header_and_control_block()
    {
        string name = Names.Unique("info");
        try
        {
            string handle = Processes.RunSharr("create", name, "--dtype", "float32", "--shape", "3,4").StdOut.Trim();
            JsonElement info = Json(Processes.RunSharr("info", name, "--json"));

            Assert.Equal(name, info.GetProperty("name").GetString());
            Assert.Equal("/dev/shm/" + name, info.GetProperty("path").GetString());
            Assert.Equal("sharr", info.GetProperty("format").GetString());
            Assert.Equal("float32", info.GetProperty("dtype").GetString());
            Assert.Equal("<f4", info.GetProperty("descr").GetString());
            Assert.Equal([3L, 4L], info.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
            Assert.False(info.GetProperty("fortran_order").GetBoolean());
            Assert.Equal(48, info.GetProperty("bytes").GetInt64());
            Assert.Equal(4096, info.GetProperty("data_offset").GetInt64());
            Assert.Equal(new FileInfo("/dev/shm/" + name).Length, info.GetProperty("file_bytes").GetInt64());
            Assert.True(info.GetProperty("persistent").GetBoolean());
            // The creator was the sharr process, which has exited.
            Assert.True(info.GetProperty("creator_pid").GetInt32() > 0);
            Assert.False(info.GetProperty("creator_alive").GetBoolean());
            DateTimeOffset createdAt = info.GetProperty("created_at").GetDateTimeOffset();
            Assert.InRange(createdAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));

            // The generation is written as the handle writes it: 32 lower-case hex digits.
            string generation = info.GetProperty("generation").GetString()!;
            Assert.Matches("^[0-9a-f]{32}$", generation);
            Assert.Equal(handle.Split(':')[2], generation);
        }
        finally
        {
            SharedArray.Remove(name);
        }
    }

    [Fact]
    public void List_json_contains_the_segment()
    {
        string name = Names.Unique("list");
        try
        {
            Assert.Equal(0, Processes.RunSharr("create", name, "--dtype", "u2", "--shape", "10").ExitCode);
            JsonElement list = Json(Processes.RunSharr("list", "--json"));
            JsonElement entry = list.GetProperty("segments").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);
            Assert.Equal("uint16", entry.GetProperty("dtype").GetString());
            Assert.Equal(20, entry.GetProperty("bytes").GetInt64());
            Assert.Equal("sharr", entry.GetProperty("format").GetString());
            Assert.True(entry.GetProperty("persistent").GetBoolean());

            var table = Processes.RunSharr("list");
            Assert.True(table.ExitCode == 0, table.StdErr);
            Assert.Contains(name, table.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            SharedArray.Remove(name);
        }
    }

    [Fact]
    public void Ps_json_lists_the_process_that_maps_a_segment_and_the_table_says_when_none_does()
    {
        string name = Names.Unique("ps");
        System.Diagnostics.Process? child = null;
        try
        {
            Assert.Equal(0, Processes.RunSharr("create", name, "--dtype", "f8", "--shape", "100000", "--fill", "1").ExitCode);
            JsonElement idle = Assert.Single(Json(Processes.RunSharr("ps", name, "--json")).GetProperty("segments").EnumerateArray());
            Assert.Equal(name, idle.GetProperty("name").GetString());
            Assert.Empty(idle.GetProperty("users").EnumerateArray());
            var idleTable = Processes.RunSharr("ps", name);
            Assert.True(idleTable.ExitCode == 0, idleTable.StdErr);
            Assert.Contains($"{name}: not mapped by any process", idleTable.StdOut, StringComparison.Ordinal);

            child = Processes.StartChild("ps-touch", name);
            Processes.WaitForLine(child, "ready");
            // The child alone: sharr opened the segment to identify it, and must not count itself.
            JsonElement busy = Assert.Single(Json(Processes.RunSharr("ps", name, "--json")).GetProperty("segments").EnumerateArray());
            JsonElement user = Assert.Single(busy.GetProperty("users").EnumerateArray());
            Assert.Equal(child.Id, user.GetProperty("pid").GetInt32());
            Assert.Contains("ps-touch " + name, user.GetProperty("command_line").GetString(), StringComparison.Ordinal);
            long mapped = user.GetProperty("mapped_bytes").GetInt64();
            long rss = user.GetProperty("rss_bytes").GetInt64();
            Assert.InRange(rss, 800_000, mapped);
            Assert.InRange(user.GetProperty("pss_bytes").GetInt64(), 1, rss);
            Assert.False(user.GetProperty("writable").GetBoolean());

            var table = Processes.RunSharr("ps");
            Assert.True(table.ExitCode == 0, table.StdErr);
            Assert.Contains(name, table.StdOut, StringComparison.Ordinal);
            Assert.Contains(child.Id.ToString(CultureInfo.InvariantCulture), table.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            Processes.CloseAndWait(child);
            SharedArray.Remove(name);
        }
    }

    [Fact]
    public void Save_then_load_round_trips_through_a_plain_npy_file()
    {
        string name = Names.Unique("save");
        string loaded = Names.Unique("load");
        string file = TempFile(".npy");
        try
        {
            Assert.Equal(0, Processes.RunSharr("create", name, "--dtype", "int32", "--shape", "4,5", "--fill", "3").ExitCode);
            using (var array = SharedArray<int>.Open(name))
            {
                array[2, 1] = -17;
            }

            JsonElement saved = Json(Processes.RunSharr("save", name, file, "--json"));
            Assert.Equal(file, saved.GetProperty("path").GetString());
            byte[] bytes = File.ReadAllBytes(file);
            Assert.Equal([0x93, .. "NUMPY"u8], bytes[..6]);
            Assert.Equal(bytes.Length, saved.GetProperty("file_bytes").GetInt64());
            Assert.Equal(0, (bytes.Length - 80) % 64); // a 64-aligned header, then 80 bytes of data
            Assert.True(bytes.Length < 4096, "a plain .npy, not a segment image");

            using (var fromDisk = SharedArray<int>.Open(file))
            {
                Assert.Equal(SegmentFormat.Npy, fromDisk.Format);
                Assert.Equal([4L, 5L], fromDisk.Shape.ToArray());
                Assert.Equal(-17, fromDisk.GetValue(2, 1));
                Assert.Equal(3 * 19 - 17, fromDisk.ToArray().Sum());
            }

            JsonElement load = Json(Processes.RunSharr("load", file, loaded, "--json"));
            Assert.Equal(loaded, load.GetProperty("name").GetString());
            using (var back = SharedArray<int>.Open(loaded))
            {
                using var original = SharedArray<int>.Open(name);
                Assert.Equal(original.ToArray(), back.ToArray());
                Assert.Equal(original.Shape.ToArray(), back.Shape.ToArray());
                Assert.True(back.IsPersistent);
            }

            // An existing file is kept unless --force.
            var again = Processes.RunSharr("save", name, file);
            AssertOneLineError(again, 2, "--force");
            Assert.Equal(bytes, File.ReadAllBytes(file));
            var forced = Processes.RunSharr("save", name, file, "--force");
            Assert.True(forced.ExitCode == 0, forced.StdErr);
        }
        finally
        {
            SharedArray.Remove(name);
            SharedArray.Remove(loaded);
            File.Delete(file);
        }
    }

    [Fact]
    public void Load_takes_a_bare_file_name_from_the_current_directory_and_a_fortran_order_file()
    {
        // [[0, 1, 2], [3, 4, 5]] stored column-major, as numpy.save writes an np.asfortranarray.
        string header = "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }";
        var bytes = new List<byte>([0x93, .. "NUMPY"u8, 1, 0]);
        int headerLength = (10 + header.Length + 1 + 63) / 64 * 64 - 10; // data 64-aligned, as numpy writes it
        bytes.AddRange(BitConverter.GetBytes((ushort)headerLength));
        bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(header.PadRight(headerLength - 1) + "\n"));
        foreach (int value in new[] { 0, 3, 1, 4, 2, 5 })
        {
            bytes.AddRange(BitConverter.GetBytes(value));
        }
        string directory = Path.Combine(Path.GetTempPath(), $"sharr-cli-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "f.npy"), bytes.ToArray());
        string name = Names.Unique("fort");
        try
        {
            var info = RunSharrIn(directory, "info", "./f.npy", "--json");
            Assert.True(Json(info).GetProperty("fortran_order").GetBoolean());

            var load = RunSharrIn(directory, "load", "f.npy", name);
            Assert.True(load.ExitCode == 0, load.StdErr);
            using var array = SharedArray<int>.Open(name);
            Assert.True(array.IsContiguous);
            Assert.Equal([0, 1, 2, 3, 4, 5], array.ToArray());
            Assert.Equal(5, array[1, 2]);
        }
        finally
        {
            SharedArray.Remove(name);
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Stats_of_a_complex_array_has_an_imaginary_sum_and_no_order()
    {
        string name = Names.Unique("cstats");
        try
        {
            Assert.Equal(0, Processes.RunSharr("create", name, "--dtype", "complex128", "--shape", "4", "--fill", "1-2j").ExitCode);
            JsonElement stats = Json(Processes.RunSharr("stats", name, "--json"));
            Assert.Equal(4.0, stats.GetProperty("sum").GetDouble());
            Assert.Equal(-8.0, stats.GetProperty("sum_imag").GetDouble());
            Assert.Equal(JsonValueKind.Null, stats.GetProperty("min").ValueKind);
            Assert.Equal(JsonValueKind.Null, stats.GetProperty("max").ValueKind);
        }
        finally
        {
            SharedArray.Remove(name);
        }
    }

    [Fact]
    public void Usage_errors_exit_1_with_one_line_and_nothing_on_stdout()
    {
        string name = Names.Unique("usage");
        try
        {
            AssertOneLineError(Processes.RunSharr("create", name, "--dtype", "float128", "--shape", "3"), 1, "float128");
            AssertOneLineError(Processes.RunSharr("create", name, "--dtype", "f8", "--shape", "3,x"), 1, "shape");
            AssertOneLineError(Processes.RunSharr("create", name, "--dtype", "uint8", "--shape", "3", "--fill", "256"), 1, "--fill");
            AssertOneLineError(Processes.RunSharr("create", name, "--dtype", "f8"), 1, "--shape");
            AssertOneLineError(Processes.RunSharr("demo", "--elements", "10", "--size", "1MB"), 1, "not both");
            AssertOneLineError(Processes.RunSharr("no-such-command"), 1, "no-such-command");
            Assert.False(File.Exists("/dev/shm/" + name), "nothing is created on a usage error");
        }
        finally
        {
            Names.Cleanup(name);
        }
    }

    [Fact]
    public void Runtime_errors_exit_2_with_one_line()
    {
        string missing = Names.Unique("missing");
        AssertOneLineError(Processes.RunSharr("info", missing), 2, missing);
        AssertOneLineError(Processes.RunSharr("stats", missing, "--json"), 2, missing);
        AssertOneLineError(Processes.RunSharr("ps", missing), 2, missing);
        AssertOneLineError(Processes.RunSharr("save", missing, TempFile(".npy")), 2, missing);
        AssertOneLineError(Processes.RunSharr("load", TempFile(".npy"), missing), 2, "no");
        AssertOneLineError(Processes.RunSharr("create", "bad/name", "--dtype", "f8", "--shape", "3"), 2, "name");

        string name = Names.Unique("exists");
        try
        {
            Assert.Equal(0, Processes.RunSharr("create", name, "--dtype", "f8", "--shape", "3").ExitCode);
            AssertOneLineError(Processes.RunSharr("create", name, "--dtype", "f8", "--shape", "3"), 2, "exists");
        }
        finally
        {
            SharedArray.Remove(name);
        }
    }

    [Fact]
    public void Rm_removes_what_exists_and_fails_naming_what_did_not()
    {
        string a = Names.Unique("rma");
        string b = Names.Unique("rmb");
        string missing = Names.Unique("rmmissing");
        try
        {
            Assert.Equal(0, Processes.RunSharr("create", a, "--dtype", "f8", "--shape", "3").ExitCode);
            Assert.Equal(0, Processes.RunSharr("create", b, "--dtype", "f8", "--shape", "3").ExitCode);

            var result = Processes.RunSharr("rm", a, missing, b, "--json");
            Assert.Equal(2, result.ExitCode);
            string error = Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(missing, error, StringComparison.Ordinal);
            Assert.DoesNotContain(a, error, StringComparison.Ordinal);

            JsonElement json = JsonDocument.Parse(result.StdOut).RootElement;
            Assert.Equal([a, b], json.GetProperty("removed").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal([missing], json.GetProperty("missing").EnumerateArray().Select(e => e.GetString()));
            Assert.False(File.Exists("/dev/shm/" + a));
            Assert.False(File.Exists("/dev/shm/" + b));
        }
        finally
        {
            Names.Cleanup(a);
            Names.Cleanup(b);
        }
    }

    [Fact]
    public void Demo_runs_the_worker_pool_job_and_reports_counts_per_pid_phases_and_memory()
    {
        HashSet<string> before = ShmLeakCheck.Snapshot();
        JsonElement demo = Json(Processes.RunSharr("demo", "--elements", "10_000_000", "--workers", "3", "--chunks", "7", "--json"));

        Assert.True(demo.GetProperty("ok").GetBoolean());
        Assert.Equal(10_000_000, demo.GetProperty("elements").GetInt64());
        Assert.Equal(80_000_000, demo.GetProperty("bytes").GetInt64());
        Assert.Equal(3, demo.GetProperty("workers").GetInt32());
        Assert.Equal(7, demo.GetProperty("chunks").GetInt32());
        Assert.Equal(0, demo.GetProperty("remaining_42").GetInt64());

        // Every element counted once, under the PID of a worker: the keys are worker PIDs, one per worker
        // that took a chunk, and each chunk was written by the PID it reports.
        var counts = demo.GetProperty("counts").EnumerateObject().ToDictionary(p => int.Parse(p.Name, CultureInfo.InvariantCulture), p => p.Value.GetInt64());
        Assert.Equal(10_000_000, counts.Values.Sum());
        int[] chunkPids = demo.GetProperty("chunk_pids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(7, chunkPids.Length);
        Assert.Equal(chunkPids.ToHashSet(), counts.Keys.ToHashSet());
        Assert.DoesNotContain(Environment.ProcessId, counts.Keys);

        JsonElement[] memory = demo.GetProperty("memory").EnumerateArray().ToArray();
        Assert.Single(memory, m => m.GetProperty("role").GetString() == "parent");
        int[] workerPids = memory.Where(m => m.GetProperty("role").GetString() == "worker").Select(m => m.GetProperty("pid").GetInt32()).ToArray();
        Assert.Equal(3, workerPids.Length);
        Assert.Subset(workerPids.ToHashSet(), counts.Keys.ToHashSet());
        // No copy: the proportional sizes add up to the array once (plus the header and control-block pages), however many processes map it.
        long pss = memory.Sum(m => m.GetProperty("pss_bytes").GetInt64());
        Assert.InRange(pss, 76_000_000L, 80_000_000L + 64 * 1024);
        Assert.All(memory, m => Assert.True(m.GetProperty("rss_bytes").GetInt64() >= m.GetProperty("pss_bytes").GetInt64()));

        string[] phases = demo.GetProperty("phases").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["create", "fill", "workers", "verify", "teardown"], phases);
        Assert.All(demo.GetProperty("phases").EnumerateObject(), p => Assert.True(p.Value.GetDouble() >= 0));
        Assert.True(demo.GetProperty("total_seconds").GetDouble() > 0);

        Assert.False(File.Exists("/dev/shm/" + demo.GetProperty("name").GetString()));
        Assert.DoesNotContain(ShmLeakCheck.Snapshot(), p => !before.Contains(p) && Path.GetFileName(p).StartsWith("sharr-", StringComparison.Ordinal));
        Assert.All(workerPids, pid => Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal),
            $"worker {pid} outlived the demo"));
    }

    [Fact]
    public void Demo_prints_the_seeds_sections_for_people()
    {
        var result = Processes.RunSharr("demo", "--elements", "1_200_000", "--workers", "2", "--chunks", "4");
        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("Filled with 42:", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("[[42. 42. 42. ... 42. 42. 42.]", result.StdOut, StringComparison.Ordinal);
        Assert.Equal(4, result.StdOut.Split('\n').Count(l => l.StartsWith(" worker: chunk ", StringComparison.Ordinal)));
        Assert.Contains("no 42 remains", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("2 workers, 0.01 GB array, 0.01 GB resident in total", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_refuses_before_creating_anything_when_the_directory_lacks_room()
    {
        HashSet<string> before = ShmLeakCheck.Snapshot();
        var result = Processes.RunSharr("demo", "--size", "1000TB");
        AssertOneLineError(result, 2, "--shm-size");
        Assert.Contains("--size", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(ShmLeakCheck.Snapshot(), p => !before.Contains(p) && Path.GetFileName(p).StartsWith("sharr-", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("create")]
    [InlineData("stats")]
    [InlineData("ps")]
    [InlineData("demo")]
    public void Help_explains_options_with_examples(string command)
    {
        var help = Processes.RunSharr(command, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--dir", help.StdOut, StringComparison.Ordinal);
        Assert.Contains("Examples:", help.StdOut, StringComparison.Ordinal);
        Assert.Contains($"sharr {command}", help.StdOut, StringComparison.Ordinal);
    }
}

[CollectionDefinition(nameof(SharrCliCollection), DisableParallelization = true)]
public sealed class SharrCliCollection;
