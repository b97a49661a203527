using System.Globalization;
using ScottPlot;
using SharedArrays.Benchmarks.Infrastructure;

namespace SharedArrays.Benchmarks.Comparisons;

/// <summary>
/// The README's chart: median seconds per phase, ours beside Python's. The phases differ by four orders
/// of magnitude (a create of microseconds, a np.unique of tens of seconds), so the axis is logarithmic
/// and each bar carries its value.
/// </summary>
internal static class PhasePlot
{
    private static readonly Dictionary<string, (Color Color, string Label)> s_sides = new(StringComparer.Ordinal)
    {
        [DemoRuns.Ours] = (Color.FromHex("#512BD4"), "ours: sharr demo, framework-dependent"), // .NET purple
        [DemoRuns.OursAot] = (Color.FromHex("#9B7BFF"), "ours: sharr demo, NativeAOT"),
        [DemoRuns.Python] = (Color.FromHex("#FFB000"), "Python 3.11 + numpy 1.24: seed_demo.py"),
    };

    internal static void Draw(string path, BenchOptions options, long[] shape, IReadOnlyList<(string Side, IReadOnlyList<DemoRun> Runs)> sides)
    {
        string[] groups = ["start+exit", .. DemoRuns.PhaseNames, "wall"];
        double[][] medians = sides.Select(s => (double[])
        [
            Stats.Median(s.Runs.Select(r => r.Outside)),
            .. DemoRuns.PhaseNames.Select(p => Stats.Median(s.Runs.Select(r => r.Phase(p)))),
            Stats.Median(s.Runs.Select(r => r.Wall)),
        ]).ToArray();
        double[] all = medians.SelectMany(m => m).Where(v => v > 0).DefaultIfEmpty(1e-3).ToArray();
        double floor = Math.Floor(Math.Log10(Math.Max(1e-6, all.Min()))) - 0.5;
        double top = Math.Log10(all.Max());
        int stride = sides.Count + 1;

        var plot = new Plot();
        var bars = new List<Bar>();
        for (int g = 0; g < groups.Length; g++)
        {
            for (int s = 0; s < sides.Count; s++)
            {
                bars.Add(Bar(g * stride + s, medians[s][g], floor, s_sides[sides[s].Side].Color));
            }
        }
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 10;

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            groups.Select((name, g) => new Tick(g * stride + (sides.Count - 1) / 2.0, name)).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int e = (int)Math.Ceiling(floor); e <= (int)Math.Ceiling(top) + 1; e++)
        {
            ticks.AddMajor(e - floor, Label(Math.Pow(10, e)));
        }
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.Left.Label.Text = "seconds (median, log scale)";
        plot.Axes.SetLimitsY(0, top - floor + 0.25 * (sides.Count + 2));
        plot.Axes.SetLimitsX(-1, groups.Length * stride - 1);
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;

        double pythonWall = Stats.Median(sides.Single(s => s.Side == DemoRuns.Python).Runs.Select(r => r.Wall));
        string ratios = string.Join(", ", sides.Where(s => s.Side != DemoRuns.Python).Select(s =>
            $"{(pythonWall / Stats.Median(s.Runs.Select(r => r.Wall))).ToString("0.0", CultureInfo.InvariantCulture)}x" +
            (s.Side == DemoRuns.OursAot ? " (NativeAOT)" : " (framework-dependent)")));
        plot.Title($"The seed's demo, {Stats.Bytes(options.Elements * sizeof(double))} ({string.Join(" x ", shape)} float64, {options.Workers} workers, {options.Chunks} chunks): " +
            $"Python's wall time / sharr demo's = {ratios}");
        plot.Axes.Title.Label.FontSize = 13;
        foreach (var (side, runs) in sides)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"{s_sides[side].Label} (median of {runs.Count})", FillColor = s_sides[side].Color });
        }
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.ShowLegend();

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 1400, 600);
    }

    /// <summary>
    /// Draws the chart again from a JSON document this benchmark wrote (--json-out), so that a chart can be
    /// restyled or redrawn without repeating a run that takes minutes and a quiet machine.
    /// </summary>
    internal static int Redraw(BenchOptions options, string jsonPath)
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(jsonPath));
        System.Text.Json.JsonElement root = document.RootElement;
        System.Text.Json.JsonElement report = root.TryGetProperty("benchmarks", out var list)
            ? list.EnumerateArray().FirstOrDefault(b => b.GetProperty("benchmark").GetString() == "demo-vs-python")
            : root;
        if (report.ValueKind != System.Text.Json.JsonValueKind.Object || report.GetProperty("benchmark").GetString() != "demo-vs-python")
        {
            throw new BenchException($"{jsonPath} holds no demo-vs-python report.");
        }
        var runs = report.GetProperty("runs").EnumerateArray().Select(r => new DemoRun(
            r.GetProperty("side").GetString()!, r.GetProperty("run").GetInt32(), r.GetProperty("wall_seconds").GetDouble(),
            r.GetProperty("total_seconds").GetDouble(), r.GetProperty("pool_start_seconds").GetDouble(),
            r.GetProperty("phases").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble()),
            r.GetProperty("ok").GetBoolean(), [])).ToList();
        long[] shape = report.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        BenchOptions drawn = options with
        {
            Elements = report.GetProperty("elements").GetInt64(),
            Workers = report.GetProperty("workers").GetInt32(),
            Chunks = report.GetProperty("chunks").GetInt32(),
        };
        string path = options.PlotPath ?? throw new BenchException("plot needs --plot PATH.");
        Draw(path, drawn, shape, runs.GroupBy(r => r.Side).Select(g => (g.Key, (IReadOnlyList<DemoRun>)g.ToList())).ToList());
        Console.WriteLine($"drew {path} from {jsonPath}");
        return 0;
    }

    private static Bar Bar(double position, double seconds, double floor, Color color) => new()
    {
        Position = position,
        // Heights are log10(seconds) above the axis floor: positive, which is where ScottPlot puts bar labels.
        Value = seconds > 0 ? Math.Log10(seconds) - floor : 0,
        FillColor = color,
        Label = Stats.Seconds(seconds),
        CenterLabel = false,
    };

    private static string Label(double seconds) => seconds switch
    {
        >= 1 => seconds.ToString("0", CultureInfo.InvariantCulture) + " s",
        >= 1e-3 => (seconds * 1e3).ToString("0", CultureInfo.InvariantCulture) + " ms",
        _ => (seconds * 1e6).ToString("0", CultureInfo.InvariantCulture) + " µs",
    };
}
