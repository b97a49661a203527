using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharedArrays.Benchmarks.Comparisons;
using SharedArrays.Benchmarks.Infrastructure;

namespace SharedArrays.Benchmarks;

/// <summary>
/// Runs the chosen comparisons one after another, each inside a /dev/shm check, and prints their reports
/// (text, or one JSON document). Progress goes to stderr so that stdout stays one clean document.
/// Exit codes: 0 every benchmark ran and gave right answers (goals missed are reported, not failures),
/// 1 usage error, 2 a benchmark could not run, gave a wrong answer or left shared memory behind.
/// </summary>
internal static class BenchProgram
{
    private static readonly string[] s_all = ["pool-start", "handoff", "demo-vs-floor", "demo-vs-python"];

    internal static int Run(string[] args)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (BenchException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("run with --help for the commands and options.");
            return 1;
        }
        if (options.Command == "help")
        {
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        }
        if (options.Command == PoolStart.SelfCommand)
        {
            return PoolStart.MeasureSelf(options); // a child of pool-start: measures this build, prints JSON
        }
        if (options.Command == "plot")
        {
            try
            {
                return PhasePlot.Redraw(options, options.From ?? throw new BenchException("plot needs --from RUN.json (written by --json-out)."));
            }
            catch (Exception e) when (e is BenchException or IOException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        }
        string[] benchmarks = options.Command == "all" ? s_all : [options.Command];
        if (benchmarks.Any(b => !s_all.Contains(b)))
        {
            Console.Error.WriteLine($"error: unknown command '{options.Command}'. Commands: {string.Join(", ", s_all)}, all.");
            return 1;
        }
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("error: the benchmarks measure Linux shared memory; run them on Linux.");
            return 2;
        }

        // Ctrl+C or a kill: no child may survive us, nor may our segments (the library's own hooks
        // remove the ones this process created; Python's and a killed child's are removed here).
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => CleanUp(options));
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => CleanUp(options));

        var tools = new Tools(options, Log);
        var reports = new List<Report>();
        int exitCode = 0;
        foreach (string benchmark in benchmarks)
        {
            var report = new Report(benchmark, options);
            ShmGuard guard = ShmGuard.Snapshot(options.Directory);
            double[] loadBefore = Machine.LoadAverage();
            report.Json["load_average_before"] = Stats.JsonArray(loadBefore);
            Log($"{benchmark}: starting (load average {Machine.LoadText(loadBefore)})");
            try
            {
                switch (benchmark)
                {
                    case "demo-vs-python":
                        DemoVsPython.Run(options, tools, report, Log);
                        break;
                    case "demo-vs-floor":
                        DemoVsFloor.Run(options, tools, report, Log);
                        break;
                    case "handoff":
                        Handoff.Run(options, report, Log);
                        break;
                    case "pool-start":
                        PoolStart.Run(options, tools, report, Log);
                        break;
                }
            }
            catch (BenchException e)
            {
                report.Wrong($"{benchmark} could not finish: {e.Message}");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Anything else (a program that cannot start, a worker that failed) still ends in the
                // /dev/shm check and the report, not in a stack trace that leaves children behind.
                report.Wrong($"{benchmark} failed: {e.GetType().Name}: {e.Message}");
            }
            finally
            {
                Children.KillAll();
            }
            double[] loadAfter = Machine.LoadAverage();
            report.Json["load_average_after"] = Stats.JsonArray(loadAfter);
            report.Line($"load average (1, 5, 15 min): {Machine.LoadText(loadBefore)} before, {Machine.LoadText(loadAfter)} after");
            try
            {
                guard.Check(benchmark, Log);
                report.Json["shm_clean"] = true;
                report.Line($"{guard.Directories}: left as found");
            }
            catch (BenchException e)
            {
                report.Json["shm_clean"] = false;
                report.Wrong(e.Message);
            }
            if (!report.Correct)
            {
                exitCode = 2;
            }
            report.Json["correct"] = report.Correct;
            reports.Add(report);
            if (!options.Json)
            {
                Console.WriteLine(report.Text);
            }
        }
        JsonNode document = reports.Count == 1 && options.Command != "all"
            ? reports[0].Json
            : new JsonObject { ["benchmarks"] = new JsonArray(reports.Select(r => (JsonNode)r.Json).ToArray()) };
        // Relaxed escaping: the reports are read by people too, and "Python's" or "µs" should stay readable.
        string json = document.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        if (options.Json)
        {
            Console.WriteLine(json);
        }
        if (options.JsonOut is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, json + Environment.NewLine);
        }
        return exitCode;
    }

    private static void CleanUp(BenchOptions options)
    {
        Children.KillAll();
        ShmGuard.RemoveOurs(options.Directory);
    }

    /// <summary>Progress, on stderr with a timestamp, so a long run shows where it is.</summary>
    internal static void Log(string message) =>
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
