using System.Globalization;

namespace SharedArrays.Tests.Infrastructure;

/// <summary>
/// Sizes of the torture tests. They are sized to finish in CI; <c>SHARR_TORTURE_SCALE</c> multiplies
/// every count for a long run (e.g. <c>SHARR_TORTURE_SCALE=20 dotnet test --filter Category=Torture</c>).
/// Each torture test prints its counts on stdout (visible in the TRX and with <c>--logger "console;verbosity=detailed"</c>).
/// </summary>
internal static class Torture
{
    internal const string Category = "Torture";
    internal const string ScaleVariable = "SHARR_TORTURE_SCALE";

    internal static double Scale { get; } =
        double.TryParse(Environment.GetEnvironmentVariable(ScaleVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 ? s : 1.0;

    /// <summary>A count scaled by <see cref="Scale"/>, at least 1.</summary>
    internal static int Scaled(int baseCount) => (int)Math.Max(1, Math.Round(baseCount * Scale));

    /// <summary>Writes a result line to stdout and to the test's output so the figures reach the TRX.</summary>
    internal static void Report(string line)
    {
        string text = $"[torture x{Scale.ToString(CultureInfo.InvariantCulture)}] {line}";
        Console.WriteLine(text);
        TestContext.Current.TestOutputHelper?.WriteLine(text);
    }
}
