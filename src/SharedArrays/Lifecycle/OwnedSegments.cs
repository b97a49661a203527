using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using SharedArrays.Segments;

namespace SharedArrays.Lifecycle;

/// <summary>
/// The names this process created and must remove: at Dispose, and if the program never gets there,
/// at normal exit, on an unhandled exception, and on SIGINT, SIGTERM, SIGHUP and SIGQUIT. After a
/// <c>kill -9</c> nothing runs here; those segments are orphans for the collector.
/// Segments still being created are registered too (<see cref="AddPending"/>): reserving and
/// filling a large segment takes long enough that a Ctrl+C often lands in the middle, and the
/// temporary name must not outlive the process.
/// </summary>
internal static class OwnedSegments
{
    private static readonly ConcurrentDictionary<Segment, byte> s_owned = new();
    private static readonly ConcurrentDictionary<PendingSegment, byte> s_pending = new();
    private static int s_hooked;
    private static PosixSignalRegistration[]? s_signals;

    internal static void Add(Segment segment)
    {
        Hook();
        s_owned.TryAdd(segment, 0);
    }

    internal static void Forget(Segment segment) => s_owned.TryRemove(segment, out _);

    /// <summary>Registers a segment under construction; dispose the result once it is published or abandoned.</summary>
    internal static PendingSegment AddPending(SegmentDirectory directory, string temporaryName, string name, bool ownsName)
    {
        Hook();
        var pending = new PendingSegment(directory, temporaryName, name, ownsName);
        s_pending.TryAdd(pending, 0);
        return pending;
    }

    internal static void Forget(PendingSegment pending) => s_pending.TryRemove(pending, out _);

    internal static void RemoveAll()
    {
        foreach (PendingSegment pending in s_pending.Keys)
        {
            try
            {
                pending.Abandon();
            }
            catch (SharedArrayException)
            {
                // As below.
            }
        }
        foreach (Segment segment in s_owned.Keys)
        {
            try
            {
                segment.RemoveName();
            }
            catch (SharedArrayException)
            {
                // Exiting: nothing useful to do with the error; the collector will find the orphan.
            }
        }
    }

    private static void Hook()
    {
        if (Interlocked.Exchange(ref s_hooked, 1) != 0)
        {
            return;
        }
        AppDomain.CurrentDomain.ProcessExit += static (_, _) => RemoveAll();
        AppDomain.CurrentDomain.UnhandledException += static (_, _) => RemoveAll();

        // A handler that leaves Cancel false lets the default action (termination) follow, so the
        // names go exactly when the process does. If the program itself cancels the signal (say,
        // Console.CancelKeyPress for a graceful shutdown, registered earlier) the process goes on
        // and so do its names.
        s_signals =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal),
        ];
    }

    private static void OnSignal(PosixSignalContext context)
    {
        if (!context.Cancel)
        {
            RemoveAll();
        }
    }
}
