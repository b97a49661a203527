using System.Globalization;
using SharedArrays.Benchmarks;

// Synchronisation benchmarks (issue #5), side by side in one run, medians and ratios:
//   dotnet run -c Release --project bench/SharedArrays.Benchmarks [-- --json] [-- --quick]
// The process also serves as its own child for the cross-process measurements (child-* modes).
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0].StartsWith("child-", StringComparison.Ordinal))
{
    return Children.Run(args);
}
bool json = args.Contains("--json");
bool quick = args.Contains("--quick");
return SyncBenchmarks.Run(json, quick);
