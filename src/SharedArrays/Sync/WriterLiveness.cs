using System.Globalization;

namespace SharedArrays.Sync;

/// <summary>
/// Whether a recorded writer (PID and start time) can still finish its write. Unlike a plain existence
/// check, a zombie counts as dead: a writer killed with SIGKILL stays a zombie until its parent reaps it,
/// which a busy or careless parent may never do, and readers must not wait on it meanwhile.
/// </summary>
internal static class WriterLiveness
{
    /// <summary>True when <paramref name="pid"/> runs and started at <paramref name="startTime"/> (0: unknown, not compared).</summary>
    internal static bool IsRunning(int pid, ulong startTime)
    {
        if (pid <= 0)
        {
            return false;
        }
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // "PID (COMM) S ...": COMM may contain spaces and ')', so fields are counted from the last ')'.
        // Field 3 is the state; field 22 the start time (the 20th after the state's predecessor).
        int close = text.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }
        string[] fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 20 || fields[0] is "Z" or "X" or "x")
        {
            return false;
        }
        return startTime == 0 ||
               (ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong start) && start == startTime);
    }
}
