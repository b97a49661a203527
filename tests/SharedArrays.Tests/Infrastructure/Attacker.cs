namespace SharedArrays.Tests.Infrastructure;

/// <summary>
/// Another local user, for real: commands run as uid/gid 65534 (nobody/nogroup) through
/// <c>setpriv --reuid=65534 --regid=65534 --clear-groups</c>, so the kernel applies its permission
/// checks exactly as it would to a hostile user on the same machine. That needs root (CI runs as root);
/// elsewhere <see cref="Unavailable"/> says why it cannot be done.
/// </summary>
internal static class Attacker
{
    internal const int Uid = 65534;

    private static readonly Lazy<string?> s_unavailable = new(FindReason);

    /// <summary>Null when commands can run as <see cref="Uid"/>; otherwise the reason they cannot (for a skip).</summary>
    internal static string? Unavailable => s_unavailable.Value;

    /// <summary>Runs <paramref name="script"/> with /bin/sh as uid 65534, feeding it <paramref name="stdin"/>.</summary>
    internal static Processes.Result Run(string script, byte[]? stdin = null)
    {
        var process = Processes.Start("setpriv", [$"--reuid={Uid}", $"--regid={Uid}", "--clear-groups", "--", "/bin/sh", "-c", script]);
        if (stdin is not null)
        {
            // Nothing the scripts here run writes much to stdout before reading all of stdin.
            process.StandardInput.BaseStream.Write(stdin);
            process.StandardInput.BaseStream.Flush();
        }
        return Processes.Run(process, TimeSpan.FromSeconds(30));
    }

    private static string? FindReason()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return $"Acting as another user (uid {Uid}) needs root, to drop privileges with setpriv, and this run is not root; CI runs as root.";
        }
        try
        {
            var probe = Run("id -u");
            return probe.ExitCode == 0 && probe.StdOut.Trim() == Uid.ToString(System.Globalization.CultureInfo.InvariantCulture)
                ? null
                : $"setpriv could not switch to uid {Uid} (exit {probe.ExitCode}: {probe.StdErr.Trim()}).";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"setpriv (util-linux) is not installed: {e.Message}.";
        }
    }
}
