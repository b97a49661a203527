namespace SharedArrays.Workers;

/// <summary>A work function threw in a worker process; the remote type, message and stack come with it.</summary>
public class WorkerException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkerException(string message, string remoteType, string remoteMessage, string? remoteStackTrace, int workerPid, string function, long itemIndex)
        : base(message)
    {
        RemoteType = remoteType;
        RemoteMessage = remoteMessage;
        RemoteStackTrace = remoteStackTrace;
        WorkerPid = workerPid;
        Function = function;
        ItemIndex = itemIndex;
    }

    /// <summary>The full name of the exception type thrown in the worker, e.g. <c>System.InvalidOperationException</c>.</summary>
    public string RemoteType { get; }

    /// <summary>The message of the exception thrown in the worker.</summary>
    public string RemoteMessage { get; }

    /// <summary>The stack trace in the worker process, if it had one.</summary>
    public string? RemoteStackTrace { get; }

    /// <summary>The PID of the worker that ran the item.</summary>
    public int WorkerPid { get; }

    /// <summary>The work function's name.</summary>
    public string Function { get; }

    /// <summary>The item's position in the mapped sequence (0 for a single <c>RunAsync</c>).</summary>
    public long ItemIndex { get; }

    /// <summary>This exception, then the remote stack under a marker, as .NET shows remote exceptions.</summary>
    public override string ToString() =>
        RemoteStackTrace is { Length: > 0 } remote
            ? $"{base.ToString()}{Environment.NewLine}--- remote stack trace (worker PID {WorkerPid}) ---{Environment.NewLine}{remote}"
            : base.ToString();
}

/// <summary>
/// A worker process died (a crash, <c>kill -9</c>, the OOM killer) while it ran an item. The pool has
/// replaced it; the other items go on.
/// </summary>
public sealed class WorkerCrashedException : WorkerException
{
    /// <summary>Creates the exception.</summary>
    public WorkerCrashedException(string message, int workerPid, string function, long itemIndex, int? exitCode, int? signal)
        : base(message, "(the worker process died)", message, null, workerPid, function, itemIndex)
    {
        ExitCode = exitCode;
        Signal = signal;
    }

    /// <summary>The exit code, if the process exited.</summary>
    public int? ExitCode { get; }

    /// <summary>The signal that killed it (9 for SIGKILL), if it was killed.</summary>
    public int? Signal { get; }
}
