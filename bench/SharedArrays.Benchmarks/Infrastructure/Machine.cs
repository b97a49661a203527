using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace SharedArrays.Benchmarks.Infrastructure;

/// <summary>
/// What a reader needs to judge a figure: the machine, the shared-memory mount (is it offering huge
/// pages?), and how busy the machine was. This VM's 2 cores are shared with other work, so the load
/// average is recorded before and after every benchmark.
/// </summary>
internal static class Machine
{
    /// <summary>The 1, 5 and 15 minute load averages.</summary>
    internal static double[] LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ').Take(3)
                .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    internal static string LoadText(double[] load) =>
        load.Length == 0 ? "unknown" : string.Join(" ", load.Select(l => l.ToString("0.00", CultureInfo.InvariantCulture)));

    /// <summary>The mount options of the tmpfs holding <paramref name="directory"/> (e.g. "rw,size=...,huge=advise").</summary>
    internal static string MountOptions(string directory)
    {
        try
        {
            string best = "", options = "unknown";
            foreach (string line in File.ReadLines("/proc/mounts"))
            {
                string[] f = line.Split(' ');
                if (f.Length >= 4 && (directory == f[1] || directory.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal)) && f[1].Length > best.Length)
                {
                    best = f[1];
                    options = $"{f[2]} {f[3]}";
                }
            }
            return options;
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string ReadOr(string path, string fallback)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return fallback;
        }
    }

    private static long MemTotalBytes()
    {
        try
        {
            string? line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.AsSpan(9).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return 0;
        }
    }

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    /// <summary>One line for the human report.</summary>
    internal static string Describe(string? directory)
    {
        string dir = SharedArray.ResolveDirectory(directory);
        return $"{Environment.ProcessorCount} cores ({CpuModel()}), {MemTotalBytes() / (1L << 30)} GiB, Linux {ReadOr("/proc/sys/kernel/osrelease", "?")}, " +
            $".NET {Environment.Version}; {dir}: {MountOptions(dir)}; shmem THP: {ReadOr("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "?")}";
    }

    internal static JsonObject ToJson(string? directory)
    {
        string dir = SharedArray.ResolveDirectory(directory);
        return new JsonObject
        {
            ["cores"] = Environment.ProcessorCount,
            ["cpu"] = CpuModel(),
            ["memory_bytes"] = MemTotalBytes(),
            ["kernel"] = ReadOr("/proc/sys/kernel/osrelease", "?"),
            ["dotnet"] = Environment.Version.ToString(),
            ["shm_directory"] = dir,
            ["shm_mount"] = MountOptions(dir),
            ["shmem_thp"] = ReadOr("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "?"),
        };
    }
}
