using System.Diagnostics;

namespace SharedArrays.Tests.Infrastructure;

/// <summary>Starts the real executables the tests drive: the test child, sharr, and python.</summary>
internal static class Processes
{
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Config>/net10.0

    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SharedArrays.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root.");
        }
    }

    internal static string TestChildDll => Path.Combine(RepoRoot, "tests", "SharedArrays.TestChild", "bin", Configuration, "net10.0", "SharedArrays.TestChild.dll");

    internal static string SharrDll => Path.Combine(RepoRoot, "src", "SharedArrays.Cli", "bin", Configuration, "net10.0", "sharr.dll");

    internal static string InteropScript(string file) => Path.Combine(RepoRoot, "tests", "interop", file);

    internal static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    internal static Process StartChild(params string[] args) => Start(DotnetHost, [TestChildDll, .. args]);

    internal static Process StartChild(IDictionary<string, string> environment, params string[] args) =>
        Start(DotnetHost, [TestChildDll, .. args], environment);

    internal static Process StartSharr(params string[] args) => Start(DotnetHost, [SharrDll, .. args]);

    internal static Process Start(string file, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
    }

    internal sealed record Result(int ExitCode, string StdOut, string StdErr);

    /// <summary>Runs to completion (60 s at most) and returns exit code and output.</summary>
    internal static Result Run(Process process, TimeSpan? timeout = null)
    {
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not finish.");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    internal static Result RunChild(params string[] args) => Run(StartChild(args));

    internal static Result RunSharr(params string[] args) => Run(StartSharr(args));

    /// <summary>Waits for a line on the child's stdout (e.g. "ready").</summary>
    internal static void WaitForLine(Process process, string expected)
    {
        Task<string?> line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(30)) || line.Result != expected)
        {
            string err = process.HasExited ? process.StandardError.ReadToEnd() : "";
            throw new InvalidOperationException($"Expected '{expected}' from the child, got '{(line.IsCompleted ? line.Result : "(nothing)")}'. {err}");
        }
    }

    /// <summary>Lets a child that blocks on stdin finish (closing its stdin), killing it after 30 s; then disposes it.</summary>
    internal static void CloseAndWait(Process? child)
    {
        if (child is null)
        {
            return;
        }
        child.StandardInput.Close();
        if (!child.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            child.Kill();
        }
        child.Dispose();
    }

    /// <summary>Sends a real signal (kill -9 is 9).</summary>
    internal static void Signal(Process process, int signal)
    {
        using Process kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the child did not die");
    }
}
