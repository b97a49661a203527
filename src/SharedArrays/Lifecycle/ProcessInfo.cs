using System.Globalization;

namespace SharedArrays.Lifecycle;

/// <summary>
/// Process identity that survives PID reuse: a PID together with the process start time (field 22
/// of <c>/proc/PID/stat</c>, clock ticks since boot). A PID alone is reused within seconds on a
/// busy machine, so <c>kill(pid, 0)</c> is never taken as proof that a creator is alive.
/// </summary>
internal static class ProcessInfo
{
    private static ulong s_currentStartTime;

    internal static ulong CurrentStartTime
    {
        get
        {
            if (s_currentStartTime == 0)
            {
                s_currentStartTime = GetStartTime(Environment.ProcessId) ?? 0;
            }
            return s_currentStartTime;
        }
    }

    /// <summary>The start time of <paramref name="pid"/>, or null when no such process exists.</summary>
    internal static ulong? GetStartTime(int pid) => ReadStat(pid)?.StartTime;

    /// <summary>
    /// Whether the process that was <paramref name="pid"/> at <paramref name="startTime"/> still runs.
    /// A start time of zero (unknown) falls back to the PID alone. A zombie counts as dead: a process
    /// killed by SIGKILL keeps its /proc entry and start time until its parent reaps it, which a busy or
    /// careless parent may never do, and nobody should wait on it or keep its segments meanwhile.
    /// </summary>
    internal static bool IsAlive(int pid, ulong startTime) =>
        ReadStat(pid) is { } stat && stat.State is not ('Z' or 'X' or 'x') && (startTime == 0 || stat.StartTime == startTime);

    /// <summary>Field 3 (state) and field 22 (start time, clock ticks since boot) of /proc/PID/stat.</summary>
    private static (char State, ulong StartTime)? ReadStat(int pid)
    {
        if (pid <= 0)
        {
            return null;
        }
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may itself contain spaces or ')': fields
        // are counted from the last ')'. Field 3 is the first after it, so start time (22) is the 20th.
        int close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }
        string[] fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 && fields[0].Length == 1 &&
               ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong start)
            ? (fields[0][0], start)
            : null;
    }
}
