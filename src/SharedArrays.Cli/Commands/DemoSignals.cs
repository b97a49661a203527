using System.Runtime.InteropServices;

namespace SharedArrays.Cli.Commands;

/// <summary>
/// SIGINT and SIGTERM during <c>sharr demo</c>. The signal is not cancelled: the library's own handler
/// removes the demo's segment (also one still being created) and the process ends, and with it the
/// workers, whose connection to the pool closes. This handler only gives the terminal its cursor back.
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

    private void OnSignal(PosixSignalContext context)
    {
        _ = context;
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
