using System.CommandLine;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using SharedArrays.Workers;
using SharedArrays.Cli.Output;
using SharedArrays.Cli.Parsing;
using Spectre.Console;

namespace SharedArrays.Cli.Commands;

/// <summary>
/// <c>sharr demo</c>, the job of numpy-sharedmem's 3.2 GB example done with SharedArrays: a float64 array
/// in shared memory filled with 42, a pool of worker processes each overwriting the chunks it is handed
/// with its own PID, and a verification that counts, per PID, what each wrote, while the memory of every
/// process shows that the array exists once. It leaves the directory as it found it: the segment is not
/// persistent, so Dispose, exit, an exception or Ctrl+C (the library's own hooks) removes it.
/// </summary>
internal static class DemoCommand
{
    private const long DefaultElements = 400_000_000; // 3.2 GB of float64, as in the seed's run
    private const int DefaultWorkers = 4;
    private const int DefaultChunks = 10;
    private const double FillValue = 42;

    /// <summary>The seed's row length: 400,000,000 elements are 10,000 rows of 40,000.</summary>
    private const long PreferredColumns = 40_000;

    /// <summary>Beyond the elements, a segment takes a header page, a control-block page and page rounding.</summary>
    private const long SegmentOverheadBytes = 3 * 4096;

    internal static Command Build()
    {
        var elements = new Option<long?>("--elements", "-n")
        {
            Description = $"How many float64 elements (default {DefaultElements:N0}, i.e. 3.2 GB). Underscores and commas are allowed: 2_000_000.",
            HelpName = "N",
            CustomParser = static result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                string digits = text.Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
                if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0)
                {
                    return n;
                }
                result.AddError($"--elements: '{text}' is not a positive integer.");
                return null;
            },
        };
        var size = new Option<long?>("--size")
        {
            Description = "The array's size instead of --elements: 64MB, 1.5GB, 512MiB (K, M, G, KB, MB, GB are powers of 1000; KiB, MiB, GiB of 1024).",
            HelpName = "SIZE",
            CustomParser = static result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (SizeParser.TryParse(text, out long bytes) && bytes >= sizeof(double))
                {
                    return bytes;
                }
                result.AddError($"--size: '{text}' is not a size of at least 8 bytes (write e.g. 64MB or 1GiB).");
                return null;
            },
        };
        var workers = new Option<int>("--workers", "-w")
        {
            Description = $"How many worker processes (default {DefaultWorkers}).",
            DefaultValueFactory = _ => DefaultWorkers,
            HelpName = "N",
        };
        var chunks = new Option<int>("--chunks", "-c")
        {
            Description = $"How many chunks the array is cut into; workers take them as they free up (default {DefaultChunks}).",
            DefaultValueFactory = _ => DefaultChunks,
            HelpName = "N",
        };
        workers.Validators.Add(static result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 256)
            {
                result.AddError("--workers must be between 1 and 256.");
            }
        });
        chunks.Validators.Add(static result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--chunks must be at least 1.");
            }
        });
        Option<bool> json = GlobalOptions.Json();
        var command = new Command("demo",
            "The 3.2 GB demo: create a float64 array in shared memory, fill it with 42, start a pool of worker processes that each " +
            "overwrite the chunks they are handed with their own PID, in place, verify per PID what each wrote, and show from " +
            "/proc that the array is in memory once however many processes map it. Removes the array at the end, and on failure or Ctrl+C too.")
        {
            elements, size, workers, chunks, json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(elements) is not null && result.GetResult(size) is not null)
            {
                result.AddError("Give --elements or --size, not both.");
            }
        });
        command.SetGuardedAction(parseResult =>
        {
            long n = parseResult.GetValue(elements) ?? (parseResult.GetValue(size) is { } bytes ? bytes / sizeof(double) : DefaultElements);
            return Run(new Settings(n, parseResult.GetValue(workers), parseResult.GetValue(chunks), parseResult.GetDirectory()), parseResult.GetValue(json));
        });
        HelpExamples.Add(command,
            "sharr demo",
            "sharr demo --size 64MB --workers 2",
            "sharr demo --elements 10_000_000 --json",
            "docker run --shm-size=4g ...      (a container's /dev/shm is 64 MB unless told otherwise)");
        return command;
    }

    private sealed record Settings(long Elements, int Workers, int Chunks, string? Directory);

    private sealed record MemoryRow(int Pid, string Role, long MappedBytes, long ResidentBytes, long ProportionalBytes);

    private sealed record Report(
        string Name, long[] Shape, long Elements, long Bytes, int Workers, int Chunks, bool Ok,
        List<(int Pid, long Count)> Counts, List<(int Chunk, int Pid)> Assignments, long Remaining42,
        List<(string Phase, TimeSpan Elapsed)> Phases, TimeSpan PoolStart, TimeSpan Total,
        string Filled, string After, List<MemoryRow> Memory, long AvailableBefore, long AvailableAfter);

    private static int Run(Settings settings, bool asJson)
    {
        long n = settings.Elements;
        long bytes = checked(n * sizeof(double));
        string directory = GlobalOptions.ResolveDirectory(settings.Directory);
        CheckRoom(directory, bytes);
        long[] shape = ShapeFor(n, settings.Chunks);
        int chunkCount = (int)Math.Min(settings.Chunks, shape[0]);
        long[][] items = Enumerable.Range(0, chunkCount)
            .Select(i => new[] { shape[0] * i / chunkCount, shape[0] * (i + 1) / chunkCount - shape[0] * i / chunkCount })
            .ToArray();

        bool interactive = !asJson && Terminal.IsStderrInteractive;
        var total = Stopwatch.StartNew();
        var phases = new List<(string, TimeSpan)>();
        long availableBefore = AvailableMemory();
        SharedArray<double>? array = null;
        WorkerPool? pool = null;
        Task<WorkerPool>? starting = null;
        Report? report = null;
        using var signals = new DemoSignals(interactive);
        try
        {
            Terminal.WithStatus(interactive, "Creating the array...", status =>
            {
                array = Time(phases, "create", () =>
                {
                    var created = SharedArray<double>.Create(null, shape, new SharedArrayCreateOptions { Directory = settings.Directory });
                    created.AdviseHugePages(); // a no-op unless the tmpfs offers huge pages
                    return created;
                });
                string name = array.Name;

                // The workers boot while this process fills: starting a process is mostly the runtime's own
                // work, and the workers only need the array's name to attach, not its contents.
                long poolStarted = Stopwatch.GetTimestamp();
                TimeSpan poolStart = TimeSpan.Zero;
                starting = Task.Run(() =>
                {
                    WorkerPool started = WorkerPool.Start(new WorkerPoolOptions
                    {
                        Workers = settings.Workers,
                        Initializer = WorkerInitializer.Create(DemoWorkers.Attach, array.Handle),
                        WorkerEnvironment = new Dictionary<string, string> { ["SHARR_DIR"] = directory },
                    });
                    poolStart = Stopwatch.GetElapsedTime(poolStarted);
                    return started;
                });

                status($"Filling {Formatting.Count(n)} elements with 42 on {Environment.ProcessorCount} cores while {settings.Workers} workers start...");
                Time(phases, "fill", () => array.Fill(FillValue));
                string filled = NumpyText.Summary(array);

                status($"Waiting for {settings.Workers} worker processes...");
                var assignments = new List<(int Chunk, int Pid)>();
                List<MemoryRow> memory = [];
                Time(phases, "workers", () =>
                {
                    try
                    {
                        pool = starting.GetAwaiter().GetResult();
                    }
                    catch (Exception e) when (e is WorkerException or TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
                    {
                        throw new CliException($"could not start {settings.Workers} worker processes: {e.Message}");
                    }
                    status($"Workers: 0 of {items.Length} chunks done...");
                    var progress = new InlineProgress<WorkerProgress>(p =>
                    {
                        lock (assignments)
                        {
                            assignments.Add(((int)p.ItemIndex, p.WorkerPid));
                        }
                        status($"Workers: {p.Completed} of {p.Total} chunks done (chunk {p.ItemIndex} -> pid {p.WorkerPid})...");
                    });
                    try
                    {
                        pool.Map<long[], int>(DemoWorkers.FillChunk, items, progress);
                    }
                    catch (AggregateException e)
                    {
                        // A worker died (the OOM killer, kill -9) or threw: say which, in one line.
                        throw new CliException($"{e.InnerExceptions.Count} of {items.Length} chunks failed: {e.InnerExceptions[0].Message}");
                    }
                });

                // While every worker still has the array mapped: who holds how much of it.
                memory = array.GetUsers()
                    .Select(u => new MemoryRow(u.Pid, u.Pid == Environment.ProcessId ? "parent" : "worker", u.MappedBytes, u.ResidentBytes, u.ProportionalBytes))
                    .OrderBy(r => r.Role == "parent" ? 0 : 1).ThenBy(r => r.Pid)
                    .ToList();
                long availableAfter = AvailableMemory();
                string after = NumpyText.Summary(array);

                status("Verifying every element...");
                var (counts, ok, remaining42) = Time(phases, "verify", () => Verify(array, items, assignments));

                status("Stopping the workers and removing the array...");
                Time(phases, "teardown", () =>
                {
                    // The workers unmap as they exit while this process unmaps and frees: side by side.
                    WorkerPool stopping = pool!;
                    Task stopped = Task.Run(stopping.Dispose);
                    array.Dispose();
                    stopped.GetAwaiter().GetResult();
                });
                report = new Report(name, shape, n, bytes, settings.Workers, items.Length, ok, counts,
                    assignments.OrderBy(a => a.Chunk).ToList(), remaining42, phases, poolStart, total.Elapsed,
                    filled, after, memory, availableBefore, availableAfter);
            });
        }
        finally
        {
            // A failure between starting the workers and taking the pool must not leave them running.
            if (pool is null && starting is not null)
            {
                try
                {
                    pool = starting.GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is WorkerException or TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // It failed to start: nothing runs.
                }
            }
            pool?.Dispose();
            array?.Dispose();
        }

        Report done = report!;
        if (asJson)
        {
            WriteJson(done);
        }
        else
        {
            WriteHuman(done, directory);
        }
        if (!done.Ok)
        {
            CommandRunner.Fail($"verification failed: " + string.Join(", ", done.Counts.Select(c => $"{Formatting.Count(c.Count)} × {c.Pid}")) +
                $", {Formatting.Count(done.Remaining42)} × 42 left.");
            return CommandRunner.RuntimeError;
        }
        return CommandRunner.Success;
    }

    /// <summary>
    /// Rows of the seed's 40,000 columns when the size allows (400,000,000 = 10,000 × 40,000), else the
    /// largest row length up to that which divides the elements and leaves a row per chunk, else 1-D.
    /// </summary>
    private static long[] ShapeFor(long n, int chunks)
    {
        for (long columns = Math.Min(PreferredColumns, n / Math.Max(1, chunks)); columns > 1; columns--)
        {
            if (n % columns == 0)
            {
                return [n / columns, columns];
            }
        }
        return [n];
    }

    /// <summary>
    /// Counts every element by value, chunk by chunk: each chunk must hold only the PID of the worker
    /// that reported it, and no 42 may remain anywhere.
    /// </summary>
    private static (List<(int Pid, long Count)> Counts, bool Ok, long Remaining42) Verify(
        SharedArray<double> array, long[][] items, List<(int Chunk, int Pid)> assignments)
    {
        var byPid = new Dictionary<int, long>();
        bool ok = assignments.Count == items.Length;
        long remaining42 = 0, other = 0;
        var expected = assignments.ToDictionary(a => a.Chunk, a => a.Pid);
        for (int chunk = 0; chunk < items.Length; chunk++)
        {
            using SharedArray<double> view = array.Rows(items[chunk][0], items[chunk][1]);
            foreach (var (value, count) in ArrayStatistics.CountValues(view))
            {
                if (value == FillValue)
                {
                    remaining42 += count;
                }
                else if (value == Math.Floor(value) && value is > 0 and <= int.MaxValue)
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(byPid, (int)value, out _) += count;
                }
                else
                {
                    other += count;
                }
                ok &= expected.TryGetValue(chunk, out int pid) && value == pid && count == view.Length;
            }
        }
        ok &= remaining42 == 0 && other == 0 && byPid.Values.Sum() == array.Length;
        return (byPid.OrderBy(p => p.Key).Select(p => (p.Key, p.Value)).ToList(), ok, remaining42);
    }

    /// <summary>The kernel's estimate of memory available to new work, from /proc/meminfo (0 if unknown).</summary>
    private static long AvailableMemory()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(13).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }

    /// <summary>Fails before anything is created if the directory cannot hold the array, saying how to get a smaller demo or more room.</summary>
    private static void CheckRoom(string directory, long bytes)
    {
        long available;
        try
        {
            available = new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return; // Creating the segment will say what is wrong with the directory.
        }
        long needed = bytes + SegmentOverheadBytes;
        if (needed <= available)
        {
            return;
        }
        long suggestedMB = Math.Max(1, available / 2 / 1_000_000);
        long dockerGiB = Math.Max(1, (needed + (1L << 30) - 1) >> 30);
        throw new CliException(
            $"the demo needs {Formatting.Bytes(needed)} in {directory}, but only {Formatting.Bytes(available)} is free. " +
            $"Run a smaller one (sharr demo --size {suggestedMB}MB), or give it more shared memory: in Docker, docker run --shm-size={dockerGiB}g ...; " +
            $"elsewhere, sudo mount -o remount,size=... {directory}.");
    }

    private static T Time<T>(List<(string, TimeSpan)> phases, string phase, Func<T> work)
    {
        long started = Stopwatch.GetTimestamp();
        T result = work();
        phases.Add((phase, Stopwatch.GetElapsedTime(started)));
        return result;
    }

    private static void Time(List<(string, TimeSpan)> phases, string phase, Action work) =>
        Time(phases, phase, () =>
        {
            work();
            return 0;
        });

    private static void WriteJson(Report report) => JsonOutput.WriteObject(writer =>
    {
        writer.WriteString("name", report.Name);
        writer.WriteShape("shape", report.Shape);
        writer.WriteNumber("elements", report.Elements);
        writer.WriteNumber("bytes", report.Bytes);
        writer.WriteNumber("workers", report.Workers);
        writer.WriteNumber("chunks", report.Chunks);
        writer.WriteBoolean("ok", report.Ok);
        writer.WriteStartObject("counts");
        foreach (var (pid, count) in report.Counts)
        {
            writer.WriteNumber(Formatting.Number(pid), count);
        }
        writer.WriteEndObject();
        writer.WriteNumber("remaining_42", report.Remaining42);
        writer.WriteStartArray("chunk_pids");
        foreach (var (_, pid) in report.Assignments)
        {
            writer.WriteNumberValue(pid);
        }
        writer.WriteEndArray();
        writer.WriteStartObject("phases");
        foreach (var (phase, elapsed) in report.Phases)
        {
            writer.WriteSeconds(phase, elapsed);
        }
        writer.WriteEndObject();
        writer.WriteSeconds("pool_start_seconds", report.PoolStart);
        writer.WriteSeconds("total_seconds", report.Total);
        writer.WriteStartArray("memory");
        foreach (MemoryRow row in report.Memory)
        {
            writer.WriteStartObject();
            writer.WriteNumber("pid", row.Pid);
            writer.WriteString("role", row.Role);
            writer.WriteNumber("mapped_bytes", row.MappedBytes);
            writer.WriteNumber("rss_bytes", row.ResidentBytes);
            writer.WriteNumber("pss_bytes", row.ProportionalBytes);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteNumber("resident_total_bytes", report.Memory.Sum(m => m.ProportionalBytes));
        writer.WriteNumber("available_before_bytes", report.AvailableBefore);
        writer.WriteNumber("available_after_bytes", report.AvailableAfter);
    });

    private static void WriteHuman(Report report, string directory)
    {
        IAnsiConsole console = Terminal.Out;
        console.WriteLine($"Created shared array {directory}/{report.Name}: {Formatting.Count(report.Bytes)} bytes, " +
            $"float64, shape {Formatting.Shape(report.Shape)}");
        console.WriteLine();
        console.WriteLine("Filled with 42:");
        console.WriteLine(report.Filled);
        console.WriteLine();
        console.WriteLine($"{report.Workers} worker processes started in {Formatting.Seconds(report.PoolStart)} (while the array was filled); " +
            $"{report.Chunks} chunks handed out as workers freed up:");
        foreach (var (chunk, pid) in report.Assignments)
        {
            console.WriteLine($" worker: chunk {chunk} -> pid {pid}");
        }
        console.WriteLine();
        console.WriteLine("The array after the workers wrote their PIDs in place:");
        console.WriteLine(report.After);
        console.WriteLine();

        console.WriteLine($"Verification: counted all {Formatting.Count(report.Elements)} elements by value:");
        Table counts = Tables.Create("PID", "Count").RightAlign(0, 1);
        foreach (var (pid, count) in report.Counts)
        {
            counts.AddTextRow(Formatting.Number(pid), Formatting.Count(count));
        }
        console.Write(counts);
        console.WriteLine(report.Ok
            ? $"ok: every chunk holds exactly the PID of the worker that wrote it, and no 42 remains."
            : $"WRONG: {Formatting.Count(report.Remaining42)} × 42 remain or a chunk holds another value.");
        console.WriteLine();

        console.WriteLine("Memory of the array in each process (from /proc/PID/smaps, while the workers were attached):");
        Table memory = Tables.Create("PID", "role", "mapped", "resident (RSS)", "proportional (PSS)").RightAlign(0, 2, 3, 4);
        foreach (MemoryRow row in report.Memory)
        {
            memory.AddTextRow(Formatting.Number(row.Pid), row.Role, Formatting.Bytes(row.MappedBytes), Formatting.Bytes(row.ResidentBytes), Formatting.Bytes(row.ProportionalBytes));
        }
        long pss = report.Memory.Sum(m => m.ProportionalBytes), rss = report.Memory.Sum(m => m.ResidentBytes);
        memory.AddTextRow("", "total", "", Formatting.Bytes(rss), Formatting.Bytes(pss));
        console.Write(memory);
        console.WriteLine($"{report.Workers} workers, {Gigabytes(report.Bytes)} array, {Gigabytes(pss)} resident in total " +
            $"(the sum of PSS counts each shared page once; RSS counts it in every process that touched it). " +
            $"Machine memory available: {Formatting.Bytes(report.AvailableBefore)} before, {Formatting.Bytes(report.AvailableAfter)} with the array filled and every worker attached.");
        console.WriteLine();

        Table table = Tables.Create("phase", "seconds").RightAlign(1);
        foreach (var (phase, elapsed) in report.Phases)
        {
            table.AddTextRow(phase, Formatting.Seconds(elapsed)[..^2]);
        }
        table.AddTextRow("total", Formatting.Seconds(report.Total)[..^2]);
        console.Write(table);
    }

    private static string Gigabytes(long bytes) => (bytes / 1e9).ToString("0.0##", CultureInfo.InvariantCulture) + " GB";

    /// <summary>IProgress that reports on the worker thread at once (Progress&lt;T&gt; would post and reorder).</summary>
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
