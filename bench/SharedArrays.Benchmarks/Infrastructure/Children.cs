using System.Collections.Concurrent;
using System.Diagnostics;

namespace SharedArrays.Benchmarks.Infrastructure;

/// <summary>What a child process printed, how it ended, and how long it ran from start to exit.</summary>
internal sealed record ChildResult(int Pid, int ExitCode, string Stdout, string Stderr, TimeSpan Wall);

/// <summary>
/// Starts the processes the benchmarks compare (sharr, Python, the NativeAOT benchmark) and makes sure
/// none outlives the benchmark: a child that overruns its timeout, or every child still running when
/// the benchmark is interrupted, is killed with its whole process tree (a Python pool's forked workers
/// included). The PIDs started are remembered, so that the /dev/shm check can tell our segments from
/// those of other processes on the machine.
/// </summary>
internal static class Children
{
    private static readonly ConcurrentDictionary<int, Process> s_running = new();
    private static readonly ConcurrentDictionary<int, byte> s_started = new();

    /// <summary>Every PID this benchmark started, this process included.</summary>
    internal static bool IsOurs(int pid) => pid == Environment.ProcessId || s_started.ContainsKey(pid);

    /// <summary>Runs a program to its end and returns its output; kills its tree and throws if it overruns.</summary>
    internal static ChildResult Run(string file, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // no child may wait on the terminal
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        long started = Stopwatch.GetTimestamp();
        using Process process = Process.Start(info) ?? throw new BenchException($"could not start {file}.");
        int pid = process.Id;
        s_started.TryAdd(pid, 0);
        s_running.TryAdd(pid, process);
        try
        {
            process.StandardInput.Close();
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                Kill(process);
                throw new BenchException($"{Path.GetFileName(file)} (PID {pid}) did not finish within {timeout.TotalSeconds:0} s; killed it and its children.");
            }
            TimeSpan wall = Stopwatch.GetElapsedTime(started);
            process.WaitForExit(); // lets the output readers drain
            return new ChildResult(pid, process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult(), wall);
        }
        finally
        {
            s_running.TryRemove(pid, out _);
        }
    }

    /// <summary>Runs a program and throws, with the tail of its output, unless it exits with 0.</summary>
    internal static ChildResult RunChecked(string file, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        ChildResult result = Run(file, arguments, timeout, workingDirectory);
        if (result.ExitCode != 0)
        {
            throw new BenchException($"{Path.GetFileName(file)} exited with {result.ExitCode}: {Tail(result.Stderr + result.Stdout)}");
        }
        return result;
    }

    /// <summary>Kills every child still running, with its descendants (on Ctrl+C or a fatal error).</summary>
    internal static void KillAll()
    {
        foreach (Process process in s_running.Values)
        {
            Kill(process);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5_000);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    /// <summary>The last lines of a child's output, for an error message.</summary>
    internal static string Tail(string text, int lines = 8)
    {
        string[] all = text.TrimEnd().Split('\n');
        return string.Join(" | ", all.Skip(Math.Max(0, all.Length - lines)).Select(l => l.TrimEnd()));
    }
}
