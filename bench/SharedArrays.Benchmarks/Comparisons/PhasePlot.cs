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
    private static readonly Color s_ours = Color.FromHex("#512BD4"); // .NET purple
    private static readonly Color s_python = Color.FromHex("#FFB000");

    internal static void Draw(string path, BenchOptions options, long[] shape, IReadOnlyList<DemoRun> ours, IReadOnlyList<DemoRun> python)
    {
        string[] groups = ["start+exit", .. DemoRuns.PhaseNames, "wall"];
        double[] Medians(IReadOnlyList<DemoRun> runs) =>
        [
            Stats.Median(runs.Select(r => r.Outside)),
            .. DemoRuns.PhaseNames.Select(p => Stats.Median(runs.Select(r => r.Phase(p)))),
            Stats.Median(runs.Select(r => r.Wall)),
        ];
        double[] a = Medians(ours), b = Medians(python);
        double floor = Math.Floor(Math.Log10(Math.Max(1e-6, new[] { a, b }.SelectMany(x => x).Where(v => v > 0).DefaultIfEmpty(1e-3).Min()))) - 0.5;

        var plot = new Plot();
        var bars = new List<Bar>();
        for (int g = 0; g < groups.Length; g++)
        {
            bars.Add(Bar(g * 3, a[g], floor, s_ours));
            bars.Add(Bar(g * 3 + 1, b[g], floor, s_python));
        }
        plot.Add.Bars(bars);

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            groups.Select((name, g) => new Tick(g * 3 + 0.5, name)).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int e = (int)Math.Ceiling(floor); e <= (int)Math.Ceiling(Math.Log10(Math.Max(a.Max(), b.Max()))) + 1; e++)
        {
            ticks.AddMajor(e - floor, Label(Math.Pow(10, e)));
        }
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.Left.Label.Text = "seconds (median, log scale)";
        plot.Axes.SetLimitsY(0, Math.Log10(Math.Max(a.Max(), b.Max())) - floor + 0.6);
        plot.Axes.SetLimitsX(-1, groups.Length * 3 - 1);
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;

        double ratio = b[^1] / a[^1];
        plot.Title($"The seed's {Stats.Bytes(options.Elements * sizeof(double))} demo ({string.Join(" x ", shape)} float64, {options.Workers} workers, {options.Chunks} chunks): " +
            $"sharr demo vs Python/numpy, {ratio.ToString("0.0", CultureInfo.InvariantCulture)}x less wall time");
        plot.Axes.Title.Label.FontSize = 13;
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"ours: sharr demo (median of {ours.Count})", FillColor = s_ours });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"Python 3.11 + numpy: seed_demo.py (median of {python.Count})", FillColor = s_python });
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.ShowLegend();

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 1100, 550);
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
