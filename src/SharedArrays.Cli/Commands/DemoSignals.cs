using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SharedArrays.Cli.Commands;

/// <summary>
/// SIGINT and SIGTERM during <c>sharr demo</c>. The signal is not cancelled: the library's own handler
/// removes the demo's segment (also one still being created) and the process ends; this handler only
/// stops the child and gives the terminal its cursor back.
/// </summary>
internal sealed class DemoSignals : IDisposable
{
    private readonly bool _interactive;
    private readonly PosixSignalRegistration[] _registrations;

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
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
    }
}
