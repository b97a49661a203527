using System.Globalization;

namespace SharedArrays.Benchmarks;

/// <summary>
/// The command line. Parsed by hand: a dozen options do not need a parser library, and this keeps the
/// NativeAOT build of the benchmark (pool-start) as small as the program it measures.
/// </summary>
internal sealed record BenchOptions
{
    /// <summary>The seed's array: 400,000,000 float64 = 10,000 rows of 40,000, 3.2 GB.</summary>
    internal const long SeedElements = 400_000_000;

    internal required string Command { get; init; }

    /// <summary>Measured runs of each side; the sides alternate (A B A B ...).</summary>
    internal int Repeat { get; init; } = 5;

    internal long Elements { get; init; } = SeedElements;

    internal int Workers { get; init; } = 4;

    internal int Chunks { get; init; } = 10;

    /// <summary>The array the handoff benchmark sums: 100 MB.</summary>
    internal long HandoffBytes { get; init; } = 100_000_000;

    internal bool Json { get; init; }

    /// <summary>Also write the JSON document to this file, whatever stdout shows (the README's figures keep their raw data).</summary>
    internal string? JsonOut { get; init; }

    /// <summary>plot: the JSON document (from --json-out) to draw the demo-vs-python chart from.</summary>
    internal string? From { get; init; }

    /// <summary>Where demo-vs-python draws its phase chart (PNG); null: no chart.</summary>
    internal string? PlotPath { get; init; }

    /// <summary>The shared-memory directory for our side (default /dev/shm; Python's SharedMemory always uses /dev/shm).</summary>
    internal string? Directory { get; init; }

    /// <summary>A sharr executable to use instead of building src/SharedArrays.Cli in Release.</summary>
    internal string? Sharr { get; init; }

    /// <summary>Use what is already built (sharr, the NativeAOT benchmark) instead of building it first.</summary>
    internal bool NoBuild { get; init; }

    /// <summary>The Python with numpy: Debian's, where python3-numpy installs.</summary>
    internal string Python { get; init; } = "/usr/bin/python3";

    /// <summary>Measure framework-dependent builds only: no NativeAOT sharr in the demo comparisons, no NativeAOT benchmark in pool-start.</summary>
    internal bool NoAot { get; init; }

    /// <summary>The longest one child run (a demo, a Python script) may take before it is killed.</summary>
    internal TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    internal static string Usage => """
        SharedArrays.Benchmarks: whole-process comparisons, run side by side, repeated, medians and ratios.

        usage: SharedArrays.Benchmarks COMMAND [options]

        commands:
          demo-vs-python   `sharr demo --json` against the seed's program in Python (bench/python/seed_demo.py)
          demo-vs-floor    each phase of `sharr demo` against the memory floor measured in the same run
          handoff          a warm pool summing a shared array vs the same sum in-process vs multiprocessing.Queue
          pool-start       time until the workers are ready: framework-dependent and NativeAOT builds
          all              all four, in that order: pool-start, handoff, demo-vs-floor, demo-vs-python
          plot             draw the demo-vs-python chart again from a saved run: --from RUN.json --plot PATH
          sync             the synchronisation benchmarks: mutex vs named Mutex and Python's Lock, seqlock
                           snapshot vs copy, publish-to-wake vs a Unix-socket round trip [--json] [--quick]

        options:
          --repeat N          measured runs of each side (default 5)
          --elements N        float64 elements of the demo array (default 400_000_000 = 3.2 GB, the seed's)
          --size SIZE         the demo array's size instead: 160MB, 3.2GB, 1GiB
          --workers N         worker processes (default 4)
          --chunks N          chunks of the demo array (default 10)
          --handoff-size SIZE the array the handoff benchmark sums (default 100MB)
          --json              print one JSON document on stdout (progress still goes to stderr)
          --json-out PATH     also write that JSON document to PATH, with the text report on stdout
          --plot PATH         demo-vs-python: draw the phase chart, ours against Python, as a PNG
          --dir DIR           shared-memory directory for our side (default $SHARR_DIR or /dev/shm)
          --sharr PATH        use this sharr instead of building src/SharedArrays.Cli -c Release
          --no-build          use the sharr and NativeAOT builds already there; build nothing
          --no-aot            measure framework-dependent builds only (the demo comparisons also run sharr
                              published NativeAOT, and pool-start this benchmark, when clang is installed)
          --python PATH       Python with numpy (default /usr/bin/python3, Debian's python3-numpy)
          --timeout SECONDS   kill a child run that takes longer (default 1800)
        """;

    /// <summary>Parses the command line; throws <see cref="BenchException"/> with the reason on a bad one.</summary>
    internal static BenchOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            return new BenchOptions { Command = "help" };
        }
        var options = new BenchOptions { Command = args[0] };
        bool elementsGiven = false, sizeGiven = false;
        for (int i = 1; i < args.Length; i++)
        {
            string option = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new BenchException($"{option} needs a value.");
            options = option switch
            {
                "--repeat" => options with { Repeat = PositiveInt(option, Value()) },
                "--elements" or "-n" => options with { Elements = PositiveLong(option, Value()) },
                "--size" => options with { Elements = Size(option, Value()) / sizeof(double) },
                "--workers" => options with { Workers = PositiveInt(option, Value()) },
                "--chunks" => options with { Chunks = PositiveInt(option, Value()) },
                "--handoff-size" => options with { HandoffBytes = Size(option, Value()) },
                "--json" => options with { Json = true },
                "--json-out" => options with { JsonOut = Path.GetFullPath(Value()) },
                "--from" => options with { From = Path.GetFullPath(Value()) },
                "--plot" => options with { PlotPath = Path.GetFullPath(Value()) },
                "--dir" => options with { Directory = Value() },
                "--sharr" => options with { Sharr = Path.GetFullPath(Value()) },
                "--no-build" => options with { NoBuild = true },
                "--no-aot" => options with { NoAot = true },
                "--python" => options with { Python = Value() },
                "--timeout" => options with { Timeout = TimeSpan.FromSeconds(PositiveInt(option, Value())) },
                "-h" or "--help" => options with { Command = "help" },
                _ => throw new BenchException($"unknown option '{option}'."),
            };
            elementsGiven |= option is "--elements" or "-n";
            sizeGiven |= option is "--size";
        }
        if (elementsGiven && sizeGiven)
        {
            throw new BenchException("give --elements or --size, not both.");
        }
        if (options.Elements < options.Chunks)
        {
            throw new BenchException($"--elements ({options.Elements}) must be at least --chunks ({options.Chunks}).");
        }
        if (options.HandoffBytes < sizeof(double))
        {
            throw new BenchException("--handoff-size must be at least 8 bytes.");
        }
        return options;
    }

    private static int PositiveInt(string option, string text) =>
        (int)Math.Min(int.MaxValue, PositiveLong(option, text));

    private static long PositiveLong(string option, string text)
    {
        string digits = text.Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0
            ? n
            : throw new BenchException($"{option}: '{text}' is not a positive integer.");
    }

    /// <summary>A size: a number with K, M, G, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (of 1024), or bytes.</summary>
    internal static long Size(string option, string text)
    {
        string t = text.Trim().Replace("_", "", StringComparison.Ordinal);
        int split = 0;
        while (split < t.Length && (char.IsAsciiDigit(t[split]) || t[split] == '.'))
        {
            split++;
        }
        string unit = t[split..].Trim().ToUpperInvariant();
        double scale = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" => 1e3,
            "M" or "MB" => 1e6,
            "G" or "GB" => 1e9,
            "KIB" => 1024.0,
            "MIB" => 1024.0 * 1024,
            "GIB" => 1024.0 * 1024 * 1024,
            _ => -1,
        };
        if (scale < 0 || !double.TryParse(t[..split], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number) || number <= 0)
        {
            throw new BenchException($"{option}: '{text}' is not a size (write e.g. 100MB, 3.2GB or 1GiB).");
        }
        return (long)Math.Round(number * scale);
    }
}

/// <summary>A benchmark cannot run or found something wrong; the message says what, in one line.</summary>
internal sealed class BenchException(string message) : Exception(message);
