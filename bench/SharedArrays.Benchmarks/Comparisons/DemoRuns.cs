using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharedArrays.Benchmarks.Infrastructure;

namespace SharedArrays.Benchmarks.Comparisons;

/// <summary>One whole run of the seed's job: our `sharr demo` or the Python rebuild, as measured.</summary>
/// <param name="Side">"ours" (framework-dependent sharr), "ours-aot" (NativeAOT sharr) or "python".</param>
/// <param name="Run">1-based round: runs of the two sides alternate.</param>
/// <param name="Wall">From starting the process to its exit, as this benchmark saw it: runtime or interpreter start included.</param>
/// <param name="Total">What the program timed itself, from its first phase to its last.</param>
/// <param name="PoolStart">Within the workers phase: until the pool's workers were ready.</param>
/// <param name="Phases">Seconds per phase, by name (<see cref="DemoRuns.PhaseNames"/>).</param>
/// <param name="Ok">The program's own verification: every chunk holds its worker's PID, no 42 is left.</param>
internal sealed record DemoRun(string Side, int Run, double Wall, double Total, double PoolStart, IReadOnlyDictionary<string, double> Phases, bool Ok, long[] Shape)
{
    /// <summary>Process start, runtime or interpreter boot, imports and exit: wall time outside the phases.</summary>
    internal double Outside => Wall - Total;

    internal double Phase(string name) => Phases.TryGetValue(name, out double s) ? s : double.NaN;

    internal JsonObject ToJson()
    {
        var phases = new JsonObject();
        foreach (var (name, seconds) in Phases)
        {
            phases[name] = Stats.Json(seconds);
        }
        return new JsonObject
        {
            ["side"] = Side,
            ["run"] = Run,
            ["wall_seconds"] = Stats.Json(Wall),
            ["total_seconds"] = Stats.Json(Total),
            ["outside_phases_seconds"] = Stats.Json(Outside),
            ["pool_start_seconds"] = Stats.Json(PoolStart),
            ["phases"] = phases,
            ["ok"] = Ok,
        };
    }
}

/// <summary>Runs `sharr demo --json` and bench/python/seed_demo.py, and reads what they print.</summary>
internal static class DemoRuns
{
    /// <summary>The phases both programs time, in order.</summary>
    internal static readonly string[] PhaseNames = ["create", "fill", "workers", "verify", "teardown"];

    /// <summary>How the memory is, for every demo run: said once, in every report that shows demo runs.</summary>
    internal const string MemoryState =
        "cold: every run creates a new segment and first-touches all of its pages (the kernel allocates and zeroes " +
        "them), and removes it at the end; nothing is reused between runs. On this VM the host may also have to " +
        "back again the guest memory the previous run freed, which is why single runs vary 2-3x: read the medians.";

    /// <summary>
    /// The array's shape, as `sharr demo` chooses it: the seed's rows of 40,000 when the size allows
    /// (400,000,000 = 10,000 x 40,000), else the longest row up to that dividing the elements with a row
    /// per chunk. Python needs whole rows per chunk, as in the seed, so the rows must divide by the chunks.
    /// </summary>
    internal static long[] Shape(long elements, int chunks)
    {
        for (long columns = Math.Min(40_000, elements / Math.Max(1, chunks)); columns > 1; columns--)
        {
            if (elements % columns == 0)
            {
                return [elements / columns, columns];
            }
        }
        return [elements, 1];
    }

    internal static string[] SharrArguments(BenchOptions options) =>
    [
        "demo", "--elements", options.Elements.ToString(CultureInfo.InvariantCulture),
        "--workers", options.Workers.ToString(CultureInfo.InvariantCulture),
        "--chunks", options.Chunks.ToString(CultureInfo.InvariantCulture), "--json",
        .. options.Directory is { } dir ? new[] { "--dir", dir } : [],
    ];

    /// <summary>The side label of the framework-dependent sharr (what `dotnet build` gives) and of the NativeAOT one.</summary>
    internal const string Ours = "ours", OursAot = "ours-aot", Python = "python";

    internal static DemoRun RunOurs(string sharr, string side, BenchOptions options, int run)
    {
        ChildResult result = Children.Run(sharr, SharrArguments(options), options.Timeout);
        if (result.Stdout.TrimStart().StartsWith('{') is false)
        {
            throw new BenchException($"sharr demo ({side}, run {run}) printed no JSON, exit {result.ExitCode}: {Children.Tail(result.Stderr + result.Stdout)}");
        }
        return Parse(side, run, result);
    }

    internal static string[] PythonArguments(BenchOptions options, long[] shape, int run) =>
    [
        Tools.PythonScript("seed_demo.py"),
        "--rows", shape[0].ToString(CultureInfo.InvariantCulture),
        "--cols", shape[1].ToString(CultureInfo.InvariantCulture),
        "--workers", options.Workers.ToString(CultureInfo.InvariantCulture),
        "--chunks", options.Chunks.ToString(CultureInfo.InvariantCulture),
        "--name", $"{ShmGuard.Prefix}py-{Environment.ProcessId}-{run}",
    ];

    internal static DemoRun RunPython(BenchOptions options, long[] shape, int run)
    {
        ChildResult result = Children.Run(options.Python, PythonArguments(options, shape, run), options.Timeout);
        if (result.Stdout.TrimStart().StartsWith('{') is false)
        {
            throw new BenchException($"seed_demo.py (run {run}) printed no JSON, exit {result.ExitCode}: {Children.Tail(result.Stderr + result.Stdout)}");
        }
        return Parse(Python, run, result);
    }

    /// <summary>Checks, before any timing, that Python can import numpy and the shape suits the seed's chunking.</summary>
    internal static void CheckPython(BenchOptions options, long[] shape)
    {
        if (shape.Length != 2 || shape[0] % options.Chunks != 0)
        {
            throw new BenchException($"{options.Elements:N0} elements make a {string.Join(" x ", shape)} array, whose rows do not split into " +
                $"{options.Chunks} equal chunks as the seed's do; choose a multiple of {options.Chunks * 40_000L:N0} elements.");
        }
        ChildResult numpy;
        try
        {
            numpy = Children.Run(options.Python, ["-c", "import numpy, sys; print(sys.version.split()[0], numpy.__version__)"], TimeSpan.FromMinutes(1));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchException($"cannot run {options.Python}: {e.Message}. Install Debian's python3-numpy (apt-get install -y python3-numpy) or pass --python.");
        }
        if (numpy.ExitCode != 0)
        {
            throw new BenchException($"{options.Python} cannot import numpy: install Debian's python3-numpy (apt-get install -y python3-numpy) or pass --python.");
        }
    }

    private static DemoRun Parse(string side, int run, ChildResult result)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(result.Stdout);
            JsonElement root = document.RootElement;
            var phases = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (JsonProperty phase in root.GetProperty("phases").EnumerateObject())
            {
                phases[phase.Name] = phase.Value.GetDouble();
            }
            long[] shape = root.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            return new DemoRun(side, run, result.Wall.TotalSeconds, root.GetProperty("total_seconds").GetDouble(),
                root.GetProperty("pool_start_seconds").GetDouble(), phases, root.GetProperty("ok").GetBoolean() && result.ExitCode == 0, shape);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new BenchException($"{side} run {run}: unexpected output ({e.Message}): {Children.Tail(result.Stdout + result.Stderr)}");
        }
    }

    /// <summary>The per-run table both demo comparisons print.</summary>
    internal static IEnumerable<string[]> Rows(IEnumerable<DemoRun> runs) => runs.Select(r =>
        (string[])[$"{r.Run} {r.Side}", Stats.Seconds(r.Wall), Stats.Seconds(r.Outside), .. PhaseNames.Select(p => Stats.Seconds(r.Phase(p))),
            Stats.Seconds(r.PoolStart), r.Ok ? "ok" : "WRONG"]);

    internal static string[] Header => ["run", "wall", "start+exit", .. PhaseNames, "(pool start)", "verified"];

    /// <summary>The medians of one side, as a table row and as JSON.</summary>
    internal static (string[] Row, JsonObject Json) Medians(string label, IReadOnlyList<DemoRun> runs)
    {
        double wall = Stats.Median(runs.Select(r => r.Wall)), outside = Stats.Median(runs.Select(r => r.Outside));
        double total = Stats.Median(runs.Select(r => r.Total)), pool = Stats.Median(runs.Select(r => r.PoolStart));
        var phases = new JsonObject();
        foreach (string p in PhaseNames)
        {
            phases[p] = Stats.Json(Stats.Median(runs.Select(r => r.Phase(p))));
        }
        var json = new JsonObject
        {
            ["wall_seconds"] = Stats.Json(wall),
            ["total_seconds"] = Stats.Json(total),
            ["outside_phases_seconds"] = Stats.Json(outside),
            ["pool_start_seconds"] = Stats.Json(pool),
            ["phases"] = phases,
        };
        string[] row = [label, Stats.Seconds(wall), Stats.Seconds(outside), .. PhaseNames.Select(p => Stats.Seconds(Stats.Median(runs.Select(r => r.Phase(p))))),
            Stats.Seconds(pool), runs.All(r => r.Ok) ? "all ok" : "WRONG"];
        return (row, json);
    }
}
