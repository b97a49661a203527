using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using static SharedArrays.Workers.WorkerProtocol;

namespace SharedArrays.Workers;

/// <summary>
/// The worker side of a <see cref="WorkerPool"/>. .NET cannot fork, so a pool starts the program again
/// with a marker in the environment; the program's <c>Main</c> checks it first thing:
/// <code>
/// if (WorkerHost.IsWorkerProcess)
/// {
///     return WorkerHost.Run(functions);
/// }
/// </code>
/// A worker connects back to its pool over a Unix socket, runs the items it is given one at a time, and
/// exits when the pool shuts it down or when the pool's process dies (the socket closes), so no worker
/// ever outlives its pool.
/// </summary>
public static class WorkerHost
{
    /// <summary>True in a process a <see cref="WorkerPool"/> started as a worker.</summary>
    public static bool IsWorkerProcess => Environment.GetEnvironmentVariable(SocketVariable) is { Length: > 0 };

    /// <summary>
    /// Serves the pool that started this process until it shuts the worker down, and returns the exit
    /// code for <c>Main</c> (0). If the pool's process dies, the worker exits at once with code 3.
    /// </summary>
    public static int Run(WorkerFunctions functions)
    {
        ArgumentNullException.ThrowIfNull(functions);
        string socketPath = Environment.GetEnvironmentVariable(SocketVariable)
            ?? throw new InvalidOperationException($"This process was not started by a WorkerPool ({SocketVariable} is not set).");
        string token = Environment.GetEnvironmentVariable(TokenVariable) ?? "";
        string nonce = Environment.GetEnvironmentVariable(NonceVariable) ?? "";
        _ = int.TryParse(Environment.GetEnvironmentVariable(ParentVariable), out int parent);
        // Workers of this pool would otherwise start pools of their own if the program checked too late.
        foreach (string variable in (ReadOnlySpan<string>)[SocketVariable, TokenVariable, NonceVariable, ParentVariable])
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        // Ctrl+C in a terminal signals the whole foreground process group. The pool's process decides:
        // if it ends, our socket closes and we follow; if it handles Ctrl+C, its workers must live on.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, static context => context.Cancel = true);
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, static context => context.Cancel = true);

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(WorkerProtocol.EndPoint(socketPath));
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"sharr worker {Environment.ProcessId}: the pool that started this worker is gone ({e.SocketErrorCode}); exiting.");
            return 3;
        }
        // The address is only a name: make sure the process listening on it is the one that started us.
        if (PeerCredentials(socket) is var (pid, uid) && (pid != parent || uid != Interop.Libc.GetEUid()))
        {
            Console.Error.WriteLine($"sharr worker {Environment.ProcessId}: the pool socket belongs to process {pid}, not to {parent}; exiting.");
            return 3;
        }
        var session = new Session(socket, functions);
        session.Send(Message.Hello, w =>
        {
            w.Write(token);
            w.Write(nonce);
            w.Write(Environment.ProcessId);
        });
        return session.Serve();
    }

    private sealed class Session(Socket socket, WorkerFunctions functions)
    {
        private readonly Lock _sendLock = new();
        private readonly MemoryStream _sendBuffer = new();
        private readonly BlockingCollection<Work> _work = new();

        /// <summary>
        /// A token per item, made when its Run arrives or when a Cancel does (which can overtake it):
        /// a cancel is never lost, whether the item is queued, running, or not here yet.
        /// </summary>
        private readonly ConcurrentDictionary<long, CancellationTokenSource> _cancellations = new();

        private readonly record struct Work(long Id, string Name, byte[] Argument, bool IsInitializer);

        internal void Send(Message type, Action<BinaryWriter> body)
        {
            lock (_sendLock)
            {
                _sendBuffer.SetLength(0);
                using (var writer = new BinaryWriter(_sendBuffer, Encoding.UTF8, leaveOpen: true))
                {
                    writer.Write((byte)type);
                    body(writer);
                }
                WriteFrame(socket, _sendBuffer);
            }
        }

        private CancellationTokenSource CancellationFor(long id) =>
            _cancellations.GetOrAdd(id, static _ => new CancellationTokenSource());

        /// <summary>The socket reader runs on this thread and never blocks on work, so it sees the pool go at once.</summary>
        internal int Serve()
        {
            var executor = new Thread(Execute) { Name = "sharr worker", IsBackground = true };
            executor.Start();
            byte[] buffer = new byte[4096];
            while (true)
            {
                if (!TryReadFrame(socket, ref buffer, out int length))
                {
                    // The pool's process is gone (or closed us without a word): nobody wants our results.
                    Environment.Exit(3);
                }
                using var reader = new BinaryReader(new MemoryStream(buffer, 0, length, writable: false), Encoding.UTF8);
                switch ((Message)reader.ReadByte())
                {
                    case Message.Initialize:
                        _work.Add(new Work(-1, reader.ReadString(), ReadRest(reader), IsInitializer: true));
                        break;
                    case Message.Run:
                        long id = reader.ReadInt64();
                        CancellationFor(id);
                        _work.Add(new Work(id, reader.ReadString(), ReadRest(reader), IsInitializer: false));
                        break;
                    case Message.Cancel:
                        try
                        {
                            CancellationFor(reader.ReadInt64()).Cancel();
                        }
                        catch (ObjectDisposedException)
                        {
                            // The item finished in the meantime.
                        }
                        break;
                    case Message.Shutdown:
                        _work.CompleteAdding();
                        // Finish the current item, but keep listening: if the pool's process dies meanwhile, go at once.
                        var watcher = new Thread(WatchForEnd) { Name = "sharr worker watch", IsBackground = true };
                        watcher.Start();
                        executor.Join();
                        return 0;
                    default:
                        throw new InvalidDataException("Broken worker protocol: unknown message from the pool.");
                }
            }
        }

        private void WatchForEnd()
        {
            byte[] buffer = new byte[256];
            try
            {
                while (TryReadFrame(socket, ref buffer, out _))
                {
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidDataException)
            {
            }
            Environment.Exit(3);
        }

        private static byte[] ReadRest(BinaryReader reader) =>
            reader.ReadBytes((int)(reader.BaseStream.Length - reader.BaseStream.Position));

        private void Execute()
        {
            try
            {
                ExecuteAll();
            }
            catch (SocketException)
            {
                Environment.Exit(3); // the pool's process is gone: nobody wants our results
            }
        }

        private void ExecuteAll()
        {
            var result = new MemoryStream();
            foreach (Work work in _work.GetConsumingEnumerable())
            {
                CancellationTokenSource cancellation = work.IsInitializer ? new CancellationTokenSource() : CancellationFor(work.Id);
                // Ids reach a worker in increasing order: cancels for items before this one can no longer matter.
                foreach (long stale in _cancellations.Keys)
                {
                    if (stale < work.Id && _cancellations.TryRemove(stale, out var old))
                    {
                        old.Dispose();
                    }
                }
                try
                {
                    result.SetLength(0);
                    WorkerFunctions.Entry entry = functions.Get(work.Name, work.IsInitializer);
                    using (var argument = new BinaryReader(new MemoryStream(work.Argument, writable: false), Encoding.UTF8))
                    using (var writer = new BinaryWriter(result, Encoding.UTF8, leaveOpen: true))
                    {
                        entry.Invoke(argument, writer, cancellation.Token);
                    }
                    if (result.Length + 64 > MaxFrameBytes)
                    {
                        throw new InvalidOperationException(
                            $"'{work.Name}' returned {result.Length:N0} bytes, more than a worker message holds ({MaxFrameBytes:N0}): " +
                            "write large results into a SharedArray and return its Handle.");
                    }
                    if (work.IsInitializer)
                    {
                        Send(Message.Initialized, static _ => { });
                    }
                    else
                    {
                        Send(Message.Result, w =>
                        {
                            w.Write(work.Id);
                            w.Write(result.GetBuffer(), 0, (int)result.Length);
                        });
                    }
                }
                catch (Exception e) when (e is not SocketException)
                {
                    Send(Message.Error, w =>
                    {
                        w.Write(work.Id);
                        w.Write(e.GetType().FullName ?? e.GetType().Name);
                        w.Write(e.Message);
                        w.Write(e.StackTrace ?? "");
                    });
                }
                finally
                {
                    if (_cancellations.TryRemove(work.Id, out var done))
                    {
                        done.Dispose();
                    }
                    if (work.IsInitializer)
                    {
                        cancellation.Dispose();
                    }
                }
            }
        }
    }
}
