using System.Text.Json.Nodes;
using SharedArrays.Benchmarks.Infrastructure;

namespace SharedArrays.Benchmarks.Comparisons;

/// <summary>
/// <c>demo-vs-python</c>: `sharr demo` against the seed's program rebuilt in Python
/// (bench/python/seed_demo.py: shared_memory.SharedMemory, np.ndarray over its buffer, a fork Pool,
/// np.unique with counts), same size, workers and chunks, the sides taking turns run after run: sharr as
/// `dotnet build` makes it, sharr published NativeAOT (unless --no-aot or no clang), then Python.
/// Goal of the issue: ours takes at most a quarter of Python's wall time (stretch: a sixth); it is judged
/// on the framework-dependent build, the one every user has, and reported for the NativeAOT one too.
/// </summary>
internal static class DemoVsPython
{
    internal static void Run(BenchOptions options, Tools tools, Report report, Action<string> log)
    {
        long[] shape = DemoRuns.Shape(options.Elements, options.Chunks);
        DemoRuns.CheckPython(options, shape);
        string sharr = tools.Sharr();
        string? sharrAot = tools.NativeAotSharr();
        var sides = new List<(string Side, string Command, Func<int, DemoRun> Run)>
        {
            (DemoRuns.Ours, $"{sharr} {string.Join(' ', DemoRuns.SharrArguments(options))}", run => DemoRuns.RunOurs(sharr, DemoRuns.Ours, options, run)),
        };
        if (sharrAot is not null)
        {
            sides.Add((DemoRuns.OursAot, $"{sharrAot} {string.Join(' ', DemoRuns.SharrArguments(options))}", run => DemoRuns.RunOurs(sharrAot, DemoRuns.OursAot, options, run)));
        }
        sides.Add((DemoRuns.Python, $"{options.Python} {string.Join(' ', DemoRuns.PythonArguments(options, shape, 0)).Replace($"{Environment.ProcessId}-0", "PID-RUN", StringComparison.Ordinal)}",
            run => DemoRuns.RunPython(options, shape, run)));

        long bytes = options.Elements * sizeof(double);
        report.Line($"array: {Stats.Count(options.Elements)} float64 ({Stats.Bytes(bytes)}) as {string.Join(" x ", shape)}, " +
            $"{options.Workers} workers, {options.Chunks} chunks; {options.Repeat} runs of each side, taking turns: {string.Join(", ", sides.Select(s => s.Side))}, ...");
        foreach (var (side, command, _) in sides)
        {
            report.Line($"{side + ":",-9} {command}");
        }
        if (sharrAot is null)
        {
            report.Line("ours-aot: not measured (see the log for why)");
        }
        report.Line($"memory: {DemoRuns.MemoryState}");
        report.Json["elements"] = options.Elements;
        report.Json["bytes"] = bytes;
        report.Json["shape"] = new JsonArray(shape.Select(s => (JsonNode)s).ToArray());
        report.Json["workers"] = options.Workers;
        report.Json["chunks"] = options.Chunks;
        report.Json["memory"] = DemoRuns.MemoryState;
        report.Json["commands"] = new JsonObject(sides.Select(s => KeyValuePair.Create(s.Side, (JsonNode?)s.Command)));

        var runs = sides.ToDictionary(s => s.Side, _ => new List<DemoRun>());
        var order = new List<DemoRun>();
        for (int run = 1; run <= options.Repeat; run++)
        {
            foreach (var (side, _, measure) in sides)
            {
                log($"demo-vs-python: run {run}/{options.Repeat}: {side}");
                DemoRun result = Check(report, measure(run), shape);
                runs[side].Add(result);
                order.Add(result);
                log($"demo-vs-python: run {run}/{options.Repeat}: {side}: wall {Stats.Seconds(result.Wall)}");
            }
        }

        report.Json["runs"] = new JsonArray(order.Select(r => (JsonNode)r.ToJson()).ToArray());
        report.Line();
        report.Line("per run (wall = process start to exit, as this benchmark saw it; start+exit = wall outside the program's own phases):");
        report.Table(DemoRuns.Header, DemoRuns.Rows(order));
        report.Line();
        report.Line($"medians of {options.Repeat} runs:");
        var medians = new JsonObject();
        var medianRows = new List<string[]>();
        foreach (var (side, _, _) in sides)
        {
            var (row, json) = DemoRuns.Medians($"median {side}", runs[side]);
            medianRows.Add(row);
            medians[side] = json;
        }
        report.Table(DemoRuns.Header, medianRows);
        report.Json["median"] = medians;

        // Ratios of medians, python / ours, so that "6x" reads "six times less time".
        List<DemoRun> python = runs[DemoRuns.Python];
        var ratios = new JsonObject();
        var ratioRows = new List<string[]>();
        foreach (var (side, _, _) in sides.Where(s => s.Side != DemoRuns.Python))
        {
            List<DemoRun> ours = runs[side];
            double Ratio(Func<DemoRun, double> pick) => Stats.Median(python.Select(pick)) / Stats.Median(ours.Select(pick));
            var json = new JsonObject
            {
                ["wall"] = Stats.Json(Ratio(r => r.Wall)),
                ["outside_phases"] = Stats.Json(Ratio(r => r.Outside)),
            };
            foreach (string phase in DemoRuns.PhaseNames)
            {
                json[phase] = Stats.Json(Ratio(r => r.Phase(phase)));
            }
            json["pool_start"] = Stats.Json(Ratio(r => r.PoolStart));
            double[] paired = ours.Zip(python).Select(p => p.Second.Wall / p.First.Wall).ToArray();
            json["wall_per_run"] = Stats.JsonArray(paired);
            ratios[side] = json;
            ratioRows.Add([$"python / {side}", Stats.Ratio(Ratio(r => r.Wall)), Stats.Ratio(Ratio(r => r.Outside)),
                .. DemoRuns.PhaseNames.Select(p => Stats.Ratio(Ratio(r => r.Phase(p)))), Stats.Ratio(Ratio(r => r.PoolStart)), ""]);
            report.Line($"wall-time ratio python / {side}, run by run: {string.Join(", ", paired.Select(Stats.Ratio))}");
        }
        report.Table(DemoRuns.Header, ratioRows);
        report.Json["ratios_python_over_ours"] = ratios;
        report.Line();

        double pythonWall = Stats.Median(python.Select(r => r.Wall));
        foreach (var (side, _, _) in sides.Where(s => s.Side != DemoRuns.Python))
        {
            double oursWall = Stats.Median(runs[side].Select(r => r.Wall));
            double ratio = pythonWall / oursWall;
            string build = side == DemoRuns.Ours ? "" : " (NativeAOT sharr)";
            report.Goal($"ours{build} takes at most 1/4 of Python's wall time", ratio >= 4,
                $"median wall {Stats.Seconds(oursWall)} vs {Stats.Seconds(pythonWall)}: {1 / ratio:P1} of Python's, {Stats.Ratio(ratio)} less time");
            report.Goal($"stretch: ours{build} takes at most 1/6 of Python's wall time", ratio >= 6, $"{Stats.Ratio(ratio)} less time");
        }

        if (options.PlotPath is { } path)
        {
            PhasePlot.Draw(path, options, shape, sides.Select(s => (s.Side, (IReadOnlyList<DemoRun>)runs[s.Side])).ToList());
            report.Line($"plot: {path}");
            report.Json["plot"] = path;
        }
    }

    private static DemoRun Check(Report report, DemoRun run, long[] shape)
    {
        if (!run.Ok)
        {
            report.Wrong($"{run.Side} run {run.Run}: the demo's own verification failed");
        }
        if (!run.Shape.SequenceEqual(shape))
        {
            report.Wrong($"{run.Side} run {run.Run}: shape {string.Join(" x ", run.Shape)}, expected {string.Join(" x ", shape)}: the sides did not do the same job");
        }
        return run;
    }
}
