using System.Text;
using System.Text.Json.Nodes;

namespace SharedArrays.Benchmarks.Infrastructure;

/// <summary>
/// One benchmark's findings, built once and written either as text for a person or as a JSON object
/// (the same facts: runs, medians, ratios, goals, memory state, load average, machine).
/// </summary>
internal sealed class Report
{
    private readonly StringBuilder _text = new();
    private readonly JsonArray _goals = [];

    internal Report(string benchmark, BenchOptions options)
    {
        Benchmark = benchmark;
        Json["benchmark"] = benchmark;
        Json["repeat"] = options.Repeat;
        Json["machine"] = Machine.ToJson(options.Directory);
        Json["goals"] = _goals;
        Line($"== {benchmark}");
        Line($"machine: {Machine.Describe(options.Directory)}");
    }

    internal string Benchmark { get; }

    internal JsonObject Json { get; } = [];

    /// <summary>False once a run gave a wrong answer (a demo's verification failed, a sum differed).</summary>
    internal bool Correct { get; private set; } = true;

    internal string Text => _text.ToString();

    internal void Line(string text = "") => _text.AppendLine(text);

    internal void Wrong(string what)
    {
        Correct = false;
        Line($"WRONG: {what}");
        (Json["errors"] ??= new JsonArray()).AsArray().Add((JsonNode)what);
    }

    /// <summary>Records a goal of the issue, met or missed, with the measured figure.</summary>
    internal void Goal(string goal, bool met, string measured)
    {
        _goals.Add((JsonNode)new JsonObject { ["goal"] = goal, ["met"] = met, ["measured"] = measured });
        Line($"goal: {goal}: {(met ? "MET" : "MISSED")} ({measured})");
    }

    /// <summary>A text table with right-aligned columns after the first.</summary>
    internal void Table(string[] header, IEnumerable<string[]> rows)
    {
        List<string[]> all = [header, .. rows];
        int[] widths = Enumerable.Range(0, header.Length).Select(c => all.Max(r => c < r.Length ? r[c].Length : 0)).ToArray();
        foreach (string[] row in all)
        {
            var line = new StringBuilder();
            for (int c = 0; c < header.Length; c++)
            {
                string cell = c < row.Length ? row[c] : "";
                line.Append(c == 0 ? cell.PadRight(widths[c]) : "  " + cell.PadLeft(widths[c]));
            }
            Line(line.ToString().TrimEnd());
        }
    }
}
