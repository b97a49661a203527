using System.CommandLine;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using SharedArrays.Cli.Output;
using SharedArrays.Cli.Parsing;
using Spectre.Console;

namespace SharedArrays.Cli.Commands;

/// <summary>
/// <c>sharr demo</c>: a float64 array in shared memory, filled by this process, half of it handed by
/// handle to a child process that writes its PID into it in place, verified here, with timings. It
/// leaves the directory as it found it: the segment is not persistent, so Dispose, exit, an exception
/// or Ctrl+C (the library's own hooks) removes it.
/// </summary>
internal static class DemoCommand
{
    private const long DefaultElements = 100_000_000;
    private const double FillValue = 42;

    /// <summary>Beyond the elements, a segment takes a header page, a control-block page and page rounding.</summary>
    private const long SegmentOverheadBytes = 3 * 4096;

    private static readonly TimeSpan s_childTimeout = TimeSpan.FromMinutes(10);

    internal static Command Build()
    {
        var elements = new Option<long?>("--elements", "-n")
        {
            Description = $"How many float64 elements (default {DefaultElements:N0}, i.e. 800 MB). Underscores and commas are allowed: 2_000_000.",
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
        Option<bool> json = GlobalOptions.Json();
        var command = new Command("demo",
            "Create a large float64 array in shared memory, fill it with 42, let a child process attach the second half by handle " +
            "and write its PID into it in place, verify every element here, and print the timings. Removes the array at the end, " +
            "and on failure or Ctrl+C too.")
        {
            elements, size, json,
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
            return Run(n, parseResult.GetDirectory(), parseResult.GetValue(json));
        });
        HelpExamples.Add(command,
            "sharr demo",
            "sharr demo --size 64MB",
            "sharr demo --elements 2000000 --json",
            "docker run --shm-size=2g ...      (a container's /dev/shm is 64 MB unless told otherwise)");
        return command;
    }

    private sealed record Report(string Name, long Elements, long Bytes, int ChildPid, bool Ok, Dictionary<string, long> Counts,
        List<(string Phase, TimeSpan Elapsed)> Phases, TimeSpan Total, double[] First, double[] Last);

    private static int Run(long n, string? dirOption, bool asJson)
    {
        long bytes = checked(n * sizeof(double));
        string directory = GlobalOptions.ResolveDirectory(dirOption);
        CheckRoom(directory, bytes);

        bool interactive = !asJson && Terminal.IsStderrInteractive;
        var total = Stopwatch.StartNew();
        var phases = new List<(string, TimeSpan)>();
        SharedArray<double>? array = null;
        Report? report = null;
        using var signals = new DemoSignals(interactive);
        try
        {
            Terminal.WithStatus(interactive, "Creating the array...", status =>
            {
                array = Time(phases, "create",
                    () => SharedArray<double>.Create(null, [n], new SharedArrayCreateOptions { Directory = dirOption }));
                string name = array.Name;

                status($"Filling {Formatting.Count(n)} elements with 42...");
                Time(phases, "fill", () => array.Fill(FillValue));

                long half = n / 2;
                status("A child process fills the second half with its PID...");
                int childPid = Time(phases, "child", () =>
                {
                    using SharedArray<double> secondHalf = array.Rows(half, n - half);
                    using Process child = StartWorker(secondHalf.Handle.ToString(), dirOption);
                    signals.Child = child;
                    try
                    {
                        return WaitForWorker(child);
                    }
                    finally
                    {
                        signals.Child = null;
                    }
                });

                status("Verifying every element...");
                var (counts, ok) = Time(phases, "verify", () => Verify(array, half, childPid));
                double[] first = Corner(array, 0);
                double[] last = Corner(array, Math.Max(0, n - 3));

                status("Removing the array...");
                Time(phases, "teardown", () => array.Dispose());
                report = new Report(name, n, bytes, childPid, ok, counts, phases, total.Elapsed, first, last);
            });
        }
        finally
        {
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
            CommandRunner.Fail($"verification failed: expected {Formatting.Count(n / 2)} × 42 then {Formatting.Count(n - n / 2)} × {done.ChildPid}, found " +
                string.Join(", ", done.Counts.Select(c => $"{Formatting.Count(c.Value)} × {c.Key}")) + ".");
            return CommandRunner.RuntimeError;
        }
        return CommandRunner.Success;
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

    private static Process StartWorker(string handle, string? dirOption)
    {
        string host = Environment.ProcessPath ?? throw new CliException("cannot tell which executable is running, so cannot start the child process.");
        var info = new ProcessStartInfo(host)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Under "dotnet sharr.dll" the process is the dotnet host: the child needs the assembly too.
        // The sharr apphost (or a native build) runs directly.
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.ArgumentList.Add(EntryAssemblyPath());
        }
        info.ArgumentList.Add(DemoWorkerCommand.Name);
        info.ArgumentList.Add(handle);
        if (dirOption is not null)
        {
            info.ArgumentList.Add("--dir");
            info.ArgumentList.Add(dirOption);
        }
        return Process.Start(info) ?? throw new CliException($"could not start {host}.");
    }

    [UnconditionalSuppressMessage("SingleFile", "IL3000",
        Justification = "Only used when running under the dotnet host, which never runs a single-file bundle.")]
    private static string EntryAssemblyPath() =>
        typeof(Program).Assembly.Location is { Length: > 0 } location ? location : Path.Combine(AppContext.BaseDirectory, "sharr.dll");

    /// <summary>Waits for the worker and returns its PID; a failure carries the worker's own message.</summary>
    private static int WaitForWorker(Process child)
    {
        Task<string> stdout = child.StandardOutput.ReadToEndAsync();
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        if (!child.WaitForExit(s_childTimeout))
        {
            child.Kill(entireProcessTree: true);
            throw new CliException($"the child process (pid {child.Id}) did not finish within {s_childTimeout.TotalMinutes} minutes.");
        }
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            string message = stderr.Result.Trim();
            throw new CliException($"the child process (pid {child.Id}) failed with exit code {child.ExitCode}" +
                (message.Length > 0 ? $": {message}" : "."));
        }
        _ = stdout.Result;
        return child.Id;
    }

    /// <summary>
    /// Counts, in parallel, the elements equal to 42 and to the child's PID in each half; ok when the first
    /// half is all 42 and the second all the PID.
    /// </summary>
    private static (Dictionary<string, long> Counts, bool Ok) Verify(SharedArray<double> array, long half, int childPid)
    {
        long n = array.Length;
        var (fillsInFirst, pidsInFirst) = CountValues(array, 0, half, FillValue, childPid);
        var (fillsInSecond, pidsInSecond) = CountValues(array, half, n - half, FillValue, childPid);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        void Add(string key, long count)
        {
            if (count > 0)
            {
                counts[key] = counts.GetValueOrDefault(key) + count;
            }
        }
        Add(Formatting.Number(FillValue), fillsInFirst + fillsInSecond);
        if (childPid != FillValue)
        {
            Add(Formatting.Number(childPid), pidsInFirst + pidsInSecond);
        }
        Add("other", n - counts.Values.Sum());
        return (counts, fillsInFirst == half && pidsInSecond == n - half);
    }

    private static (long A, long B) CountValues(SharedArray<double> array, long start, long count, double a, double b)
    {
        const int Block = 1 << 22;
        long bitsA = BitConverter.DoubleToInt64Bits(a);
        long bitsB = BitConverter.DoubleToInt64Bits(b);
        long totalA = 0, totalB = 0;
        Parallel.For(0, (count + Block - 1) / Block, () => (A: 0L, B: 0L), (block, _, local) =>
        {
            long from = start + block * Block;
            int length = (int)Math.Min(Block, start + count - from);
            // Compared as bit patterns: a vectorised count, and exact for the integers stored.
            ReadOnlySpan<long> bits = MemoryMarshal.Cast<double, long>(array.AsSpan(from, length));
            return (local.A + bits.Count(bitsA), local.B + bits.Count(bitsB));
        }, local =>
        {
            Interlocked.Add(ref totalA, local.A);
            Interlocked.Add(ref totalB, local.B);
        });
        return (totalA, totalB);
    }

    private static double[] Corner(SharedArray<double> array, long start)
    {
        long end = Math.Min(array.Length, start + 3);
        var values = new double[Math.Max(0, end - start)];
        for (long i = start; i < end; i++)
        {
            values[i - start] = array.GetValue(i);
        }
        return values;
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
        writer.WriteNumber("elements", report.Elements);
        writer.WriteNumber("bytes", report.Bytes);
        writer.WriteBoolean("ok", report.Ok);
        writer.WriteNumber("child_pid", report.ChildPid);
        writer.WriteStartObject("counts");
        foreach (var (value, count) in report.Counts)
        {
            writer.WriteNumber(value, count);
        }
        writer.WriteEndObject();
        writer.WriteStartObject("phases");
        foreach (var (phase, elapsed) in report.Phases)
        {
            writer.WriteSeconds(phase, elapsed);
        }
        writer.WriteEndObject();
        writer.WriteSeconds("total_seconds", report.Total);
        writer.WriteStartArray("first");
        Array.ForEach(report.First, writer.WriteDoubleValue);
        writer.WriteEndArray();
        writer.WriteStartArray("last");
        Array.ForEach(report.Last, writer.WriteDoubleValue);
        writer.WriteEndArray();
    });

    private static void WriteHuman(Report report, string directory)
    {
        long half = report.Elements / 2;
        string pid = Formatting.Number(report.ChildPid);
        var what = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["create"] = "Create: memory reserved, name published",
            ["fill"] = $"Fill(42) on {Environment.ProcessorCount} cores, {Throughput(report.Bytes, report.Phases, "fill")}",
            ["child"] = $"pid {pid} filled [{Formatting.Count(half)}, {Formatting.Count(report.Elements)}) via a view handle",
            ["verify"] = string.Join(", ", report.Counts.Select(c => $"{Formatting.Count(c.Value)} × {c.Key}")) + (report.Ok ? ": ok" : ": WRONG"),
            ["teardown"] = "Dispose: name removed, unmapped",
        };
        Terminal.Out.WriteLine(
            $"{Formatting.Count(report.Elements)} float64 elements ({Formatting.Count(report.Bytes)} bytes) in {directory}/{report.Name}");
        Table table = Tables.Create("phase", "seconds", "what").RightAlign(1);
        foreach (var (phase, elapsed) in report.Phases)
        {
            table.AddTextRow(phase, Formatting.Seconds(elapsed)[..^2], what.GetValueOrDefault(phase, ""));
        }
        table.AddTextRow("total", Formatting.Seconds(report.Total)[..^2], "");
        Terminal.Out.Write(table);
        string corner = report.Elements <= 6
            ? string.Join(", ", report.First.Concat(report.Last.Skip((int)Math.Max(0, 6 - report.Elements))).Select(Formatting.NumpyFloat))
            : string.Join(", ", report.First.Select(Formatting.NumpyFloat)) + ", ..., " + string.Join(", ", report.Last.Select(Formatting.NumpyFloat));
        Terminal.Out.WriteLine($"array([{corner}])");
    }

    private static string Throughput(long bytes, List<(string Phase, TimeSpan Elapsed)> phases, string phase)
    {
        double seconds = phases.FirstOrDefault(p => p.Phase == phase).Elapsed.TotalSeconds;
        return seconds > 0 ? (bytes / seconds / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " GB/s" : "-";
    }
}
