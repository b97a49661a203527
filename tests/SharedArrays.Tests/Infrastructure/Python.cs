using System.Text.Json;

namespace SharedArrays.Tests.Infrastructure;

/// <summary>
/// Finds a Python with numpy: $SHARR_PYTHON, then python3 on PATH, then Debian's /usr/bin/python3
/// (where apt's python3-numpy installs). Interop tests skip with this reason when there is none; CI
/// installs python3-numpy and fails if any interop test skipped.
/// </summary>
internal static class Python
{
    private static readonly Lazy<string?> s_python = new(Find);

    internal static string? Executable => s_python.Value;

    internal static string SkipReason =>
        "No python3 with numpy found (tried $SHARR_PYTHON, python3 on PATH, /usr/bin/python3). Install it: apt-get install python3-numpy.";

    private static string? Find()
    {
        string?[] candidates = [Environment.GetEnvironmentVariable("SHARR_PYTHON"), "python3", "/usr/bin/python3"];
        foreach (string? candidate in candidates)
        {
            if (string.IsNullOrEmpty(candidate))
            {
                continue;
            }
            try
            {
                var result = Processes.Run(Processes.Start(candidate, ["-c", "import numpy"]), TimeSpan.FromSeconds(30));
                if (result.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed under that name
            }
        }
        return null;
    }

    internal static string RequireNumpy()
    {
        if (Executable is null)
        {
            Assert.Skip(SkipReason);
        }
        return Executable;
    }

    /// <summary>Runs tests/interop/numpy_peer.py with one JSON request; returns its JSON answer.</summary>
    internal static JsonElement Peer(object request)
    {
        string python = RequireNumpy();
        var result = Processes.Run(Processes.Start(python, [Processes.InteropScript("numpy_peer.py"), JsonSerializer.Serialize(request)]));
        Assert.True(result.ExitCode == 0, $"numpy_peer.py failed ({result.ExitCode}): {result.StdErr}{result.StdOut}");
        return JsonDocument.Parse(result.StdOut).RootElement.Clone();
    }
}
