using System.Text.Json.Nodes;
using SharedArrays.Benchmarks.Infrastructure;

namespace SharedArrays.Benchmarks.Comparisons;

/// <summary>
/// <c>demo-vs-python</c>: `sharr demo` against the seed's program rebuilt in Python
/// (bench/python/seed_demo.py: shared_memory.SharedMemory, np.ndarray over its buffer, a fork Pool,
/// np.unique with counts), same size, workers and chunks, runs alternating ours, Python, ours, Python...
/// Goal of the issue: ours takes at most a quarter of Python's wall time (stretch: a sixth).
/// </summary>
internal static class DemoVsPython
{
    internal static void Run(BenchOptions options, Tools tools, Report report, Action<string> log)
    {
        long[] shape = DemoRuns.Shape(options.Elements, options.Chunks);
        DemoRuns.CheckPython(options, shape);
        string sharr = tools.Sharr();
        long bytes = options.Elements * sizeof(double);
        report.Line($"array: {Stats.Count(options.Elements)} float64 ({Stats.Bytes(bytes)}) as {string.Join(" x ", shape)}, " +
            $"{options.Workers} workers, {options.Chunks} chunks; {options.Repeat} runs of each side, alternating ours, python, ours, python...");
        report.Line($"ours:   {sharr} {string.Join(' ', DemoRuns.SharrArguments(options))}");
        report.Line($"python: {options.Python} {string.Join(' ', DemoRuns.PythonArguments(options, shape, 0)).Replace($"{Environment.ProcessId}-0", "PID-RUN", StringComparison.Ordinal)}");
        report.Line($"memory: {DemoRuns.MemoryState}");
        report.Json["elements"] = options.Elements;
        report.Json["bytes"] = bytes;
        report.Json["shape"] = new JsonArray(shape.Select(s => (JsonNode)s).ToArray());
        report.Json["workers"] = options.Workers;
        report.Json["chunks"] = options.Chunks;
        report.Json["memory"] = DemoRuns.MemoryState;

        var ours = new List<DemoRun>();
        var python = new List<DemoRun>();
        for (int run = 1; run <= options.Repeat; run++)
        {
            log($"demo-vs-python: run {run}/{options.Repeat}: ours");
            ours.Add(Check(report, DemoRuns.RunOurs(sharr, options, run), shape));
            log($"demo-vs-python: run {run}/{options.Repeat}: ours {Stats.Seconds(ours[^1].Wall)}; python");
            python.Add(Check(report, DemoRuns.RunPython(options, shape, run), shape));
            log($"demo-vs-python: run {run}/{options.Repeat}: python {Stats.Seconds(python[^1].Wall)}");
        }

        report.Json["runs"] = new JsonArray(ours.Zip(python).SelectMany(p => new JsonNode[] { p.First.ToJson(), p.Second.ToJson() }).ToArray());
        report.Line();
        report.Line("per run (wall = process start to exit, as this benchmark saw it; start+exit = wall outside the program's own phases):");
        report.Table(DemoRuns.Header, DemoRuns.Rows(ours.Zip(python).SelectMany(p => new[] { p.First, p.Second })));
        report.Line();
        var (oursRow, oursJson) = DemoRuns.Medians("median ours", ours);
        var (pythonRow, pythonJson) = DemoRuns.Medians("median python", python);
        report.Line($"medians of {options.Repeat} runs:");
        report.Table(DemoRuns.Header, [oursRow, pythonRow]);
        report.Json["median"] = new JsonObject { ["ours"] = oursJson, ["python"] = pythonJson };

        // Ratios of medians: python / ours, so "6x" reads "six times faster".
        var ratios = new JsonObject();
        var ratioRow = new List<string> { "python / ours" };
        double Ratio(Func<DemoRun, double> pick) => Stats.Median(python.Select(pick)) / Stats.Median(ours.Select(pick));
        double wallRatio = Ratio(r => r.Wall);
        ratios["wall"] = Stats.Json(wallRatio);
        ratios["outside_phases"] = Stats.Json(Ratio(r => r.Outside));
        ratioRow.Add(Stats.Ratio(wallRatio));
        ratioRow.Add(Stats.Ratio(Ratio(r => r.Outside)));
        foreach (string phase in DemoRuns.PhaseNames)
        {
            double ratio = Ratio(r => r.Phase(phase));
            ratios[phase] = Stats.Json(ratio);
            ratioRow.Add(Stats.Ratio(ratio));
        }
        ratios["pool_start"] = Stats.Json(Ratio(r => r.PoolStart));
        ratioRow.Add(Stats.Ratio(Ratio(r => r.PoolStart)));
        report.Table(DemoRuns.Header, [[.. ratioRow]]);
        var paired = ours.Zip(python).Select(p => p.Second.Wall / p.First.Wall).ToArray();
        ratios["wall_per_run"] = Stats.JsonArray(paired);
        report.Json["ratios_python_over_ours"] = ratios;
        report.Line($"wall-time ratio python / ours, run by run: {string.Join(", ", paired.Select(Stats.Ratio))}");
        report.Line();

        double fraction = 1 / wallRatio;
        report.Goal("ours takes at most 1/4 of Python's wall time", wallRatio >= 4,
            $"median wall {Stats.Seconds(Stats.Median(ours.Select(r => r.Wall)))} vs {Stats.Seconds(Stats.Median(python.Select(r => r.Wall)))}: {fraction:P1} of Python's, {Stats.Ratio(wallRatio)} faster");
        report.Goal("stretch: at most 1/6 of Python's wall time", wallRatio >= 6, $"{Stats.Ratio(wallRatio)} faster");

        if (options.PlotPath is { } path)
        {
            PhasePlot.Draw(path, options, shape, ours, python);
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
