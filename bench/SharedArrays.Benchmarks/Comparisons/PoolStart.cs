using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharedArrays.Benchmarks.Infrastructure;
using SharedArrays.Workers;

namespace SharedArrays.Benchmarks.Comparisons;

/// <summary>
/// <c>pool-start</c>: how long <see cref="WorkerPool.Start"/> takes until every worker is connected and
/// ready, for this program built framework-dependent and published NativeAOT. Workers are the program
/// started again, so the figure is mostly how fast the runtime boots: the design expects ~37 ms per
/// framework-dependent worker against ~5 ms for NativeAOT. Each build measures itself in a child process
/// (<see cref="SelfCommand"/>), the two alternating round after round.
/// </summary>
internal static class PoolStart
{
    /// <summary>The hidden command a child runs to measure its own build.</summary>
    internal const string SelfCommand = "pool-start-self";

    internal static void Run(BenchOptions options, Tools tools, Report report, Action<string> log)
    {
        var frameworkDependent = FrameworkDependentCommand();
        string? aot = options.NoAot ? null : tools.NativeAotBenchmark();
        if (options.NoAot)
        {
            log("pool-start: NativeAOT skipped (--no-aot)");
        }
        string[] selfArguments = [SelfCommand, "--workers", options.Workers.ToString(CultureInfo.InvariantCulture)];
        report.Line($"{options.Workers} workers; {options.Repeat} rounds alternating the builds; each round starts a fresh process of the build " +
            "that times a first WorkerPool.Start (the parent's pool code not yet run: JIT-compiled now in the framework-dependent build) " +
            "and a second one (warm parent), each until all workers have connected, then disposes the pool");
        report.Line($"framework-dependent: {string.Join(' ', [frameworkDependent.File, .. frameworkDependent.Arguments, .. selfArguments])}");
        report.Line(aot is null
            ? "NativeAOT: not measured (see the log above for why)"
            : $"NativeAOT: {aot} {string.Join(' ', selfArguments)}   (built by dotnet publish -c Release -r linux-x64 -p:PublishAot=true bench/SharedArrays.Benchmarks)");
        report.Line("memory: not applicable (no array); the executables are in the page cache after the first round");
        report.Json["workers"] = options.Workers;

        var builds = new List<(string Label, string File, string[] Arguments)> { ("framework-dependent", frameworkDependent.File, [.. frameworkDependent.Arguments, .. selfArguments]) };
        if (aot is not null)
        {
            builds.Add(("NativeAOT", aot, selfArguments));
        }
        var first = builds.ToDictionary(b => b.Label, _ => new List<double>());
        var second = builds.ToDictionary(b => b.Label, _ => new List<double>());
        for (int round = 1; round <= options.Repeat; round++)
        {
            foreach (var (label, file, arguments) in builds)
            {
                ChildResult result = Children.RunChecked(file, arguments, TimeSpan.FromMinutes(2));
                using JsonDocument document = JsonDocument.Parse(result.Stdout);
                first[label].Add(document.RootElement.GetProperty("first_start_seconds").GetDouble());
                second[label].Add(document.RootElement.GetProperty("second_start_seconds").GetDouble());
                log($"pool-start: round {round}/{options.Repeat}: {label}: first {Stats.Seconds(first[label][^1])}, second {Stats.Seconds(second[label][^1])}");
            }
        }

        report.Line();
        var rows = new List<string[]>();
        var json = new JsonObject();
        foreach (var (label, _, _) in builds)
        {
            double a = Stats.Median(first[label]), b = Stats.Median(second[label]);
            rows.Add([label, Stats.Seconds(a), Stats.Seconds(b), Stats.Seconds(b / options.Workers),
                string.Join(", ", first[label].Select(Stats.Seconds)), string.Join(", ", second[label].Select(Stats.Seconds))]);
            json[label == "NativeAOT" ? "native_aot" : "framework_dependent"] = new JsonObject
            {
                ["first_start_seconds"] = Stats.JsonArray(first[label]),
                ["second_start_seconds"] = Stats.JsonArray(second[label]),
                ["median_first_start_seconds"] = Stats.Json(a),
                ["median_second_start_seconds"] = Stats.Json(b),
            };
        }
        report.Table(["build", "median first start", "median second start", "per worker (second)", "first, per round", "second, per round"], rows);
        report.Json["builds"] = json;
        if (aot is not null)
        {
            double ratio = Stats.Median(second["framework-dependent"]) / Stats.Median(second["NativeAOT"]);
            report.Json["framework_dependent_over_native_aot"] = Stats.Json(ratio);
            report.Line($"NativeAOT starts a warm pool {Stats.Ratio(ratio)} faster than the framework-dependent build " +
                $"(first starts: {Stats.Ratio(Stats.Median(first["framework-dependent"]) / Stats.Median(first["NativeAOT"]))})");
        }
        else
        {
            report.Json["native_aot_skipped"] = true;
        }
        report.Line($"({Environment.ProcessorCount} cores: {options.Workers} workers boot {(options.Workers > Environment.ProcessorCount ? "partly one after another" : "in parallel")})");
    }

    /// <summary>The framework-dependent build of this program, however this process was started.</summary>
    private static (string File, string[] Arguments) FrameworkDependentCommand()
    {
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            // This is the NativeAOT build: the framework-dependent one is the Release build beside the sources.
            string exe = Path.Combine(Tools.RepoRoot, "bench", "SharedArrays.Benchmarks", "bin", "Release", "net10.0", "SharedArrays.Benchmarks");
            return File.Exists(exe) ? (exe, []) : throw new BenchException($"{exe} is missing: dotnet build -c Release bench/SharedArrays.Benchmarks");
        }
        string process = Environment.ProcessPath ?? throw new BenchException("cannot tell which program this process runs.");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? (process, [Path.Combine(AppContext.BaseDirectory, "SharedArrays.Benchmarks.dll")])
            : (process, []);
    }

    /// <summary>In the child: times two pool starts of this build and prints them as JSON.</summary>
    internal static int MeasureSelf(BenchOptions options)
    {
        double Start()
        {
            long started = Stopwatch.GetTimestamp();
            using WorkerPool pool = WorkerPool.Start(new WorkerPoolOptions { Workers = options.Workers });
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (pool.WorkerPids.Count(pid => pid > 0) != options.Workers)
            {
                throw new BenchException($"the pool reported {pool.WorkerPids.Count} workers, expected {options.Workers}");
            }
            return seconds;
        }
        double first = Start();
        double second = Start();
        Console.WriteLine(new JsonObject
        {
            ["build"] = RuntimeFeature.IsDynamicCodeSupported ? "framework-dependent" : "NativeAOT",
            ["workers"] = options.Workers,
            ["first_start_seconds"] = Stats.Json(first),
            ["second_start_seconds"] = Stats.Json(second),
        }.ToJsonString());
        return 0;
    }
}
