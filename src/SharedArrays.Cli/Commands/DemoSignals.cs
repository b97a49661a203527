using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SharedArrays.Cli.Commands;

/// <summary>
/// SIGINT and SIGTERM during <c>sharr demo</c>. Normally the signal is not cancelled: the library's own
/// handler removes the demo's segment name and the process ends; this handler only stops the child and
/// gives the terminal its cursor back. Inside <see cref="Deferring"/> (while the segment is being created
/// under a temporary name the library's hooks do not know yet) the signal is held instead, and
/// <see cref="ThrowIfInterrupted"/> ends the demo once the segment can be disposed.
/// </summary>
internal sealed class DemoSignals : IDisposable
{
    private readonly bool _interactive;
    private readonly PosixSignalRegistration[] _registrations;
    private volatile bool _deferring;
    private volatile int _pending;

    internal DemoSignals(bool interactive)
    {
        _interactive = interactive;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>The worker process while it runs; killed on a signal.</summary>
    internal Process? Child { get; set; }

    /// <summary>Runs <paramref name="work"/> with SIGINT and SIGTERM held until it returns.</summary>
    internal T Deferring<T>(Func<T> work)
    {
        _deferring = true;
        try
        {
            return work();
        }
        finally
        {
            _deferring = false;
        }
    }

    /// <summary>Throws if a signal was held, carrying the shell's exit code for it (128 + signal number).</summary>
    internal void ThrowIfInterrupted()
    {
        if (_pending != 0)
        {
            throw new InterruptedException(128 + _pending);
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        try
        {
            if (Child is { HasExited: false } child)
            {
                child.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
        if (_interactive)
        {
            Console.Error.Write("\e[?25h"); // the spinner hid the cursor
        }
        if (_deferring)
        {
            _pending = context.Signal == PosixSignal.SIGINT ? 2 : 15;
            context.Cancel = true;
        }
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
    }

    /// <summary>The demo was interrupted by a signal that had to be held.</summary>
    internal sealed class InterruptedException(int exitCode) : Exception("Interrupted.")
    {
        internal int ExitCode { get; } = exitCode;
    }
}
