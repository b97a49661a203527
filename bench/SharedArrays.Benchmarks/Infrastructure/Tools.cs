namespace SharedArrays.Benchmarks.Infrastructure;

/// <summary>
/// Where the programs under comparison come from: the repository (found above this executable, so the
/// NativeAOT build finds it too), the Release build of sharr, the Python scripts, and the NativeAOT
/// build of this benchmark. Anything built is built here, saying so, so that a stale binary is never measured.
/// </summary>
internal sealed class Tools(BenchOptions options, Action<string> log)
{
    private string? _sharr;

    /// <summary>The repository root: the directory above this program (or the working directory) holding SharedArrays.sln.</summary>
    internal static string RepoRoot { get; } = FindRepoRoot();

    internal static string PythonScript(string name) => Path.Combine(RepoRoot, "bench", "python", name);

    private static string FindRepoRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SharedArrays.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new BenchException($"cannot find the repository (SharedArrays.sln) above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}; run from inside it.");
    }

    /// <summary>sharr built in Release (built now unless --no-build or --sharr), the program `sharr demo` runs in.</summary>
    internal string Sharr()
    {
        if (_sharr is not null)
        {
            return _sharr;
        }
        if (options.Sharr is { } given)
        {
            return _sharr = File.Exists(given) ? given : throw new BenchException($"--sharr {given}: no such file.");
        }
        string exe = Path.Combine(RepoRoot, "src", "SharedArrays.Cli", "bin", "Release", "net10.0", "sharr");
        if (!options.NoBuild)
        {
            Build(["build", "-c", "Release", Path.Combine("src", "SharedArrays.Cli")]);
        }
        return _sharr = File.Exists(exe) ? exe : throw new BenchException($"{exe} is missing: build it (dotnet build -c Release src/SharedArrays.Cli) or drop --no-build.");
    }

    /// <summary>
    /// This benchmark published with NativeAOT, or null (saying why) when it cannot be: the ILCompiler
    /// needs clang and zlib (apt-get install -y clang zlib1g-dev, as root).
    /// </summary>
    internal string? NativeAotBenchmark() =>
        PublishAot("the NativeAOT benchmark", Path.Combine("bench", "SharedArrays.Benchmarks"), "aot", "SharedArrays.Benchmarks");

    /// <summary>sharr published with NativeAOT (its workers then start in milliseconds), or null, saying why, when it cannot be.</summary>
    internal string? NativeAotSharr()
    {
        if (options.NoAot)
        {
            log("NativeAOT sharr: skipped (--no-aot).");
            return null;
        }
        if (options.Sharr is not null)
        {
            log("NativeAOT sharr: skipped: --sharr names the one sharr to measure.");
            return null;
        }
        return _sharrAot ??= PublishAot("NativeAOT sharr", Path.Combine("src", "SharedArrays.Cli"), "sharr-aot", "sharr");
    }

    private string? _sharrAot;

    /// <summary>Publishes a project NativeAOT into bench/SharedArrays.Benchmarks/bin/<paramref name="folder"/> (ignored by git).</summary>
    private string? PublishAot(string what, string project, string folder, string executable)
    {
        string output = Path.Combine(RepoRoot, "bench", "SharedArrays.Benchmarks", "bin", folder);
        string exe = Path.Combine(output, executable);
        if (options.NoBuild)
        {
            if (File.Exists(exe))
            {
                return exe;
            }
            log($"{what}: skipped: {exe} is not built and --no-build was given.");
            return null;
        }
        if (!OnPath("clang"))
        {
            log($"{what}: skipped: clang is not installed, and the NativeAOT compiler links with it " +
                "(as root: apt-get install -y clang zlib1g-dev).");
            return null;
        }
        try
        {
            Build(["publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", project, "-o", output]);
        }
        catch (BenchException e)
        {
            log($"{what}: skipped: the publish failed: {e.Message}");
            return null;
        }
        return File.Exists(exe) ? exe : null;
    }

    private void Build(string[] arguments)
    {
        log($"building: (cd {RepoRoot} && dotnet {string.Join(' ', arguments)})");
        ChildResult result = Children.Run("dotnet", [.. arguments, "-nologo", "-v:q"], TimeSpan.FromMinutes(15), RepoRoot);
        if (result.ExitCode != 0)
        {
            string errors = string.Join(" | ", (result.Stdout + result.Stderr).Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(5));
            throw new BenchException($"dotnet {arguments[0]} failed (exit {result.ExitCode}): {(errors.Length > 0 ? errors : Children.Tail(result.Stdout + result.Stderr))}");
        }
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}
