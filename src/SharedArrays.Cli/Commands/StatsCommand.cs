using System.CommandLine;
using SharedArrays.Cli.Output;
using SharedArrays.Cli.Parsing;

namespace SharedArrays.Cli.Commands;

/// <summary><c>sharr stats NAME|PATH</c>: count, sum, mean, min, max, computed read-only on all cores.</summary>
internal static class StatsCommand
{
    /// <summary>Below this many bytes the answer comes faster than a spinner could start.</summary>
    private const long SpinnerThresholdBytes = 256L << 20;

    internal static Command Build()
    {
        Argument<string> target = CommonArguments.NameOrPath();
        Option<bool> json = GlobalOptions.Json();
        var command = new Command("stats",
            "Count, sum, mean, min and max of every element (vectorised, all cores, any size); the array is opened read-only. " +
            "Complex arrays have a complex sum and mean and no min or max.")
        {
            target, json,
        };
        command.SetGuardedAction(parseResult =>
        {
            bool asJson = parseResult.GetValue(json);
            using SharedArray array = SharedArray.Open(parseResult.GetRequiredValue(target),
                new SharedArrayOpenOptions { ReadOnly = true, Directory = parseResult.GetDirectory() });
            bool spinner = !asJson && Terminal.IsStderrInteractive && array.ByteLength >= SpinnerThresholdBytes;
            ArrayStatistics stats = Terminal.WithStatus(spinner, $"Reading {Formatting.Bytes(array.ByteLength)} of {array.Name}...",
                () => ArrayStatistics.Compute(array));
            bool complex = array.DType is DType.Complex64 or DType.Complex128;
            double meanImaginary = stats.Count == 0 ? double.NaN : stats.SumImaginary / stats.Count;
            if (asJson)
            {
                JsonOutput.WriteObject(writer =>
                {
                    writer.WriteString("name", array.Name);
                    writer.WriteString("dtype", array.DType.Name());
                    writer.WriteShape("shape", array.Shape.ToArray());
                    writer.WriteNumber("count", stats.Count);
                    writer.WriteDouble("sum", stats.Sum);
                    writer.WriteDouble("mean", stats.Mean);
                    writer.WriteDouble("min", stats.Min);
                    writer.WriteDouble("max", stats.Max);
                    if (complex)
                    {
                        writer.WriteDouble("sum_imag", stats.SumImaginary);
                        writer.WriteDouble("mean_imag", meanImaginary);
                    }
                });
                return CommandRunner.Success;
            }
            var rows = new List<(string, string)>
            {
                ("name", array.Name),
                ("dtype", array.DType.Name()),
                ("shape", Formatting.Shape(array.Shape)),
                ("count", Formatting.Count(stats.Count)),
            };
            if (complex)
            {
                rows.Add(("sum", Complex(stats.Sum, stats.SumImaginary)));
                rows.Add(("mean", Complex(stats.Mean, meanImaginary)));
            }
            else
            {
                rows.Add(("sum", Formatting.Number(stats.Sum)));
                rows.Add(("mean", Formatting.Number(stats.Mean)));
                rows.Add(("min", stats.Min is { } min ? Formatting.Number(min) : "-"));
                rows.Add(("max", stats.Max is { } max ? Formatting.Number(max) : "-"));
            }
            Terminal.Out.Write(Tables.KeyValues(rows));
            return CommandRunner.Success;
        });
        HelpExamples.Add(command,
            "sharr stats a1",
            "sharr stats a1 --json",
            "sharr stats ./weights.npy");
        return command;
    }

    private static string Complex(double re, double im) =>
        $"{Formatting.Number(re)}{(im < 0 || double.IsNegative(im) ? "-" : "+")}{Formatting.Number(Math.Abs(im))}j";
}
