using System.Text.Json.Nodes;
using SharedArrays.Benchmarks.Infrastructure;

namespace SharedArrays.Benchmarks.Comparisons;

/// <summary>
/// <c>demo-vs-floor</c>: each phase of `sharr demo` against what the memory itself costs, measured in the
/// same run on a segment of the same size (see <see cref="FloorRun"/>), alternating demo, floor, demo,
/// floor... Goal of the issue: the worker phase within 3x of the floor (rewriting the same bytes, already
/// mapped, from all cores), although the workers are separate processes that must start, attach and
/// map the pages themselves.
/// </summary>
internal static class DemoVsFloor
{
    internal static void Run(BenchOptions options, Tools tools, Report report, Action<string> log)
    {
        long[] shape = DemoRuns.Shape(options.Elements, options.Chunks);
        string sharr = tools.Sharr();
        string? sharrAot = tools.NativeAotSharr();
        var sides = new List<(string Side, string Sharr)> { (DemoRuns.Ours, sharr) };
        if (sharrAot is not null)
        {
            sides.Add((DemoRuns.OursAot, sharrAot));
        }
        long bytes = options.Elements * sizeof(double);
        report.Line($"array: {Stats.Count(options.Elements)} float64 ({Stats.Bytes(bytes)}) as {string.Join(" x ", shape)}, " +
            $"{options.Workers} workers, {options.Chunks} chunks; {options.Repeat} runs of each, taking turns: {string.Join(", ", sides.Select(s => s.Side))}, floor, ...");
        foreach (var (side, exe) in sides)
        {
            report.Line($"{side + ":",-9} {exe} {string.Join(' ', DemoRuns.SharrArguments(options))}");
        }
        report.Line("floor:    in this process, on a fresh segment of the same shape: SharedArray.Create; a single-threaded first-touch fill; " +
            "then (median of 3 passes each) a rewrite of the same bytes from all cores and a sum of them from all cores; Dispose");
        report.Line($"memory: the demo's is {DemoRuns.MemoryState} The floor's rewrite and scan are hot: the pages are mapped and faulted in already.");
        report.Json["elements"] = options.Elements;
        report.Json["bytes"] = bytes;
        report.Json["shape"] = new JsonArray(shape.Select(s => (JsonNode)s).ToArray());
        report.Json["workers"] = options.Workers;
        report.Json["chunks"] = options.Chunks;
        report.Json["memory"] = "demo: cold (fresh segment each run); floor rewrite and scan: hot (already mapped and faulted in)";

        var demos = sides.ToDictionary(s => s.Side, _ => new List<DemoRun>());
        var floors = new List<FloorRun>();
        for (int run = 1; run <= options.Repeat; run++)
        {
            foreach (var (side, exe) in sides)
            {
                log($"demo-vs-floor: run {run}/{options.Repeat}: {side}");
                DemoRun demo = DemoRuns.RunOurs(exe, side, options, run);
                if (!demo.Ok)
                {
                    report.Wrong($"{side} run {run}: the demo's own verification failed");
                }
                demos[side].Add(demo);
                log($"demo-vs-floor: run {run}/{options.Repeat}: {side}: wall {Stats.Seconds(demo.Wall)}, workers {Stats.Seconds(demo.Phase("workers"))}");
            }
            log($"demo-vs-floor: run {run}/{options.Repeat}: floor");
            floors.Add(FloorRun.Measure(shape, options.Directory, run));
            log($"demo-vs-floor: run {run}/{options.Repeat}: floor: rewrite {Stats.Seconds(floors[^1].Rewrite)}");
        }
        report.Json["demo_runs"] = new JsonArray(demos.Values.SelectMany(d => d).Select(d => (JsonNode)d.ToJson()).ToArray());
        report.Json["floor_runs"] = new JsonArray(floors.Select(f => (JsonNode)f.ToJson()).ToArray());

        report.Line();
        report.Line("demo, per run:");
        report.Table(DemoRuns.Header, DemoRuns.Rows(Enumerable.Range(0, options.Repeat).SelectMany(i => sides.Select(s => demos[s.Side][i]))));
        report.Line();
        report.Line("floor, per run:");
        report.Table(["run", "create", "1st touch, 1 thread", "rewrite, all cores", "scan, all cores", "teardown"],
            floors.Select(f => new[] { f.Run.ToString(System.Globalization.CultureInfo.InvariantCulture), Stats.Seconds(f.Create),
                Stats.Seconds(f.FirstTouchSingle), Stats.Seconds(f.Rewrite), Stats.Seconds(f.Scan), Stats.Seconds(f.Teardown) }));

        double rewrite = Stats.Median(floors.Select(f => f.Rewrite));
        double firstTouch = Stats.Median(floors.Select(f => f.FirstTouchSingle));
        double scan = Stats.Median(floors.Select(f => f.Scan));
        // Each phase beside the floor that bounds it: the same call in-process for create and teardown,
        // a first touch for the fill (which is one), a scan for the verification (which reads), and the
        // all-core rewrite for everything, since every phase at least passes over the bytes once.
        (string Phase, string Reference, double Seconds)[] references =
        [
            ("create", "SharedArray.Create in-process", Stats.Median(floors.Select(f => f.Create))),
            ("fill", "single-threaded first touch", firstTouch),
            ("workers", "rewrite from all cores", rewrite),
            ("verify", "sum from all cores", scan),
            ("teardown", "Dispose in-process", Stats.Median(floors.Select(f => f.Teardown))),
        ];
        var medians = new JsonObject
        {
            ["rewrite_all_cores_seconds"] = Stats.Json(rewrite),
            ["first_touch_single_thread_seconds"] = Stats.Json(firstTouch),
            ["scan_all_cores_seconds"] = Stats.Json(scan),
        };
        foreach (var (side, _) in sides)
        {
            List<DemoRun> runs = demos[side];
            var phases = new JsonObject();
            var rows = new List<string[]>();
            foreach (var (phase, reference, seconds) in references)
            {
                double demo = Stats.Median(runs.Select(d => d.Phase(phase)));
                phases[phase] = new JsonObject
                {
                    ["demo_seconds"] = Stats.Json(demo),
                    ["reference"] = reference,
                    ["reference_seconds"] = Stats.Json(seconds),
                    ["ratio_to_reference"] = Stats.Json(demo / seconds),
                    ["ratio_to_rewrite_floor"] = Stats.Json(demo / rewrite),
                };
                rows.Add([phase, Stats.Seconds(demo), reference, Stats.Seconds(seconds), Stats.Ratio(demo / seconds), Stats.Ratio(demo / rewrite)]);
            }
            double poolStart = Stats.Median(runs.Select(d => d.PoolStart));
            double workers = Stats.Median(runs.Select(d => d.Phase("workers")));
            // sharr demo starts its workers while it fills, so the worker phase holds the start only when
            // the start outlasted the fill; never more than the phase itself.
            double afterStart = Stats.Median(runs.Select(d => d.Phase("workers") - Math.Min(d.PoolStart, d.Phase("workers"))));
            bool overlapped = runs.All(d => d.PoolStart > d.Phase("workers"));
            report.Line();
            report.Line($"{side}: medians of {options.Repeat} runs, each demo phase against its floor:");
            report.Table(["phase", "demo", "floor", "floor seconds", "demo / floor", "demo / rewrite"], rows);
            medians[side] = new JsonObject
            {
                ["phases"] = phases,
                ["pool_start_seconds"] = Stats.Json(poolStart),
                ["workers_after_pool_start_seconds"] = Stats.Json(afterStart),
                ["wall_seconds"] = Stats.Json(Stats.Median(runs.Select(d => d.Wall))),
            };
            string build = side == DemoRuns.Ours ? "" : " (NativeAOT sharr)";
            report.Goal($"the worker phase{build} within 3x of the floor (rewrite from all cores)", workers <= 3 * rewrite,
                $"workers {Stats.Seconds(workers)} = {Stats.Ratio(workers / rewrite)} the rewrite floor {Stats.Seconds(rewrite)}; " +
                (overlapped
                    ? $"starting {options.Workers} worker processes ({Stats.Seconds(poolStart)}) ran beside the fill, so all of the phase is handing out and writing the chunks"
                    : $"of it, starting {options.Workers} worker processes took up to {Stats.Seconds(poolStart)}; the rest is {Stats.Ratio(afterStart / rewrite)} the floor"));
        }
        report.Json["median"] = medians;
    }
}
