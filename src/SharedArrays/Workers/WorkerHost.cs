using System.Collections.Concurrent;
using System.Net.Sockets;
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
        // Workers of this pool would otherwise start pools of their own if the program checked too late.
        Environment.SetEnvironmentVariable(SocketVariable, null);
        Environment.SetEnvironmentVariable(TokenVariable, null);

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(WorkerProtocol.EndPoint(socketPath));
        var session = new Session(socket, functions);
        session.Send(Message.Hello, w =>
        {
            w.Write(token);
            w.Write(Environment.ProcessId);
        });
        return session.Serve();
    }

    private sealed class Session(Socket socket, WorkerFunctions functions)
    {
        private readonly Lock _sendLock = new();
        private readonly MemoryStream _sendBuffer = new();
        private readonly BlockingCollection<Work> _work = new();
        private long _currentItem = long.MinValue;
        private CancellationTokenSource? _currentCancellation;

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
                        _work.Add(new Work(id, reader.ReadString(), ReadRest(reader), IsInitializer: false));
                        break;
                    case Message.Cancel:
                        long cancel = reader.ReadInt64();
                        if (Interlocked.Read(ref _currentItem) == cancel)
                        {
                            try
                            {
                                Volatile.Read(ref _currentCancellation)?.Cancel();
                            }
                            catch (ObjectDisposedException)
                            {
                                // The item finished meanwhile.
                            }
                        }
                        break;
                    case Message.Shutdown:
                        _work.CompleteAdding();
                        executor.Join();
                        return 0;
                    default:
                        throw new InvalidDataException("Broken worker protocol: unknown message from the pool.");
                }
            }
        }

        private static byte[] ReadRest(BinaryReader reader) =>
            reader.ReadBytes((int)(reader.BaseStream.Length - reader.BaseStream.Position));

        private void Execute()
        {
            var result = new MemoryStream();
            foreach (Work work in _work.GetConsumingEnumerable())
            {
                using var cancellation = new CancellationTokenSource();
                Volatile.Write(ref _currentCancellation, cancellation);
                Interlocked.Exchange(ref _currentItem, work.Id);
                try
                {
                    result.SetLength(0);
                    WorkerFunctions.Entry entry = functions.Get(work.Name, work.IsInitializer);
                    using (var argument = new BinaryReader(new MemoryStream(work.Argument, writable: false), Encoding.UTF8))
                    using (var writer = new BinaryWriter(result, Encoding.UTF8, leaveOpen: true))
                    {
                        entry.Invoke(argument, writer, cancellation.Token);
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
                catch (Exception e)
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
                    Interlocked.Exchange(ref _currentItem, long.MinValue);
                    Volatile.Write(ref _currentCancellation, null);
                }
            }
        }
    }
}
