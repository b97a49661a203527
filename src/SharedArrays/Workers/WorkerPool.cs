using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using static SharedArrays.Workers.WorkerProtocol;

namespace SharedArrays.Workers;

/// <summary>
/// A pool of worker processes of this program: the <c>multiprocessing.Pool</c> of SharedArrays. Items
/// are handed out one at a time to whichever worker is free (dynamic scheduling); results come back in
/// item order. Arguments and results are bool, int, long, double, string, <see cref="SharedArrayHandle"/>
/// or one-dimensional arrays of those: a shared array crosses as its handle (a few dozen bytes), and the
/// worker attaches the same memory.
/// </summary>
/// <remarks>
/// <para>An exception in a work function fails its item with a <see cref="WorkerException"/> that carries the
/// remote type, message and stack. A worker that dies (even by <c>kill -9</c>) fails its in-flight item
/// with a <see cref="WorkerCrashedException"/> naming the PID and signal, and is replaced; the other
/// items go on.</para>
/// <para>Disposing the pool shuts every worker down (and kills those that do not stop within
/// <see cref="WorkerPoolOptions.ShutdownTimeout"/>). If the pool's process dies, its workers see their
/// socket close and exit: no worker outlives its pool.</para>
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    private readonly WorkerPoolOptions _options;
    private readonly string _address;
    private readonly string _token;
    private readonly Socket _listener;
    private readonly Thread _acceptor;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Socket>> _arrivals = new(StringComparer.Ordinal);
    private readonly BlockingCollection<PendingItem> _queue = new();
    private readonly Slot[] _slots;
    private readonly Thread[] _threads;
    private long _nextItemId;
    private long _replacements;
    private int _liveSlots;
    private Exception? _fault;
    private int _disposeState;
    private volatile bool _disposed;

    private WorkerPool(WorkerPoolOptions options)
    {
        _options = options;
        _token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _address = $"@sharr-pool-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(EndPoint(_address));
        _listener.Listen(Math.Max(16, options.Workers * 2));
        _acceptor = new Thread(Accept) { Name = "sharr pool accept", IsBackground = true };
        _acceptor.Start();
        _slots = new Slot[options.Workers];
        _threads = new Thread[options.Workers];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new Slot(this, i);
        }
    }

    /// <summary>
    /// Starts the workers and waits until every one has connected and run the initializer. Throws if a
    /// worker cannot start; then no worker is left running.
    /// </summary>
    public static WorkerPool Start(WorkerPoolOptions? options = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw ThrowHelper.NotLinux();
        }
        options ??= new WorkerPoolOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Workers, 1, nameof(options));
        var pool = new WorkerPool(options);
        try
        {
            // Start them all at once: each start is mostly the runtime booting in the new process.
            var starting = pool._slots.Select(slot => Task.Run(slot.StartWorker)).ToArray();
            try
            {
                Task.WaitAll(starting);
            }
            catch (AggregateException e)
            {
                // Workers fail to start for one reason (a bad initializer, a wrong executable): say it once.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
            pool._liveSlots = pool._slots.Length;
            for (int i = 0; i < pool._slots.Length; i++)
            {
                Slot slot = pool._slots[i];
                pool._threads[i] = new Thread(slot.Serve) { Name = $"sharr pool worker {i}", IsBackground = true };
                pool._threads[i].Start();
            }
            return pool;
        }
        catch
        {
            pool.Dispose();
            throw;
        }
    }

    /// <summary>Starts the workers without blocking the caller.</summary>
    public static Task<WorkerPool> StartAsync(WorkerPoolOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Start(options), cancellationToken);

    /// <summary>The number of workers.</summary>
    public int WorkerCount => _slots.Length;

    /// <summary>The PIDs of the current workers (a replaced worker's successor has a new PID).</summary>
    public IReadOnlyList<int> WorkerPids => _slots.Select(s => s.Pid).ToArray();

    /// <summary>How many workers died and were replaced.</summary>
    public long Replacements => Interlocked.Read(ref _replacements);

    /// <summary>Runs one item on the next free worker.</summary>
    public Task<TResult> RunAsync<TArg, TResult>(string function, TArg argument, CancellationToken cancellationToken = default) =>
        Enqueue<TArg, TResult>(function, argument, 0, cancellationToken, onDone: null).Task;

    /// <summary>
    /// Runs <paramref name="function"/> over every item, handing items to workers as they free up, and
    /// returns the results in item order. If items fail, the others still run, and then an
    /// <see cref="AggregateException"/> holds one <see cref="WorkerException"/> per failed item. Cancelling
    /// stops handing out items at once, asks the running ones to stop (the token of a function registered
    /// with one), and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<TResult[]> MapAsync<TArg, TResult>(string function, IEnumerable<TArg> items, IProgress<WorkerProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        TArg[] list = items.ToArray();
        var pending = new PendingItem<TResult>[list.Length];
        long completed = 0;
        Action<PendingItem>? onDone = progress is null ? null : item =>
            progress.Report(new WorkerProgress(Interlocked.Increment(ref completed), list.Length, item.Index, item.WorkerPid, item.Failed));
        for (int i = 0; i < list.Length; i++)
        {
            pending[i] = Enqueue<TArg, TResult>(function, list[i], i, cancellationToken, onDone);
        }
        try
        {
            await Task.WhenAll(pending.Select(p => p.Task)).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            List<Exception> failures = pending.Where(p => p.Task.IsFaulted).Select(p => p.Task.Exception!.InnerException!).ToList();
            throw new AggregateException($"{failures.Count} of {list.Length} items failed in '{function}'.", failures);
        }
        cancellationToken.ThrowIfCancellationRequested();
        return pending.Select(p => p.Task.Result).ToArray();
    }

    /// <summary>The blocking form of <see cref="MapAsync"/>.</summary>
    public TResult[] Map<TArg, TResult>(string function, IEnumerable<TArg> items, IProgress<WorkerProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        MapAsync<TArg, TResult>(function, items, progress, cancellationToken).GetAwaiter().GetResult();

    private PendingItem<TResult> Enqueue<TArg, TResult>(string function, TArg argument, long index, CancellationToken cancellationToken, Action<PendingItem>? onDone)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(function);
        if (!WorkerCodec<TArg>.IsSupported)
        {
            throw WorkerCodec<TArg>.Unsupported();
        }
        if (!WorkerCodec<TResult>.IsSupported)
        {
            throw WorkerCodec<TResult>.Unsupported();
        }
        byte[] encoded;
        using (var stream = new MemoryStream())
        {
            using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            {
                WorkerCodec<TArg>.Write(writer, argument);
            }
            encoded = stream.ToArray();
        }
        if (encoded.Length + function.Length * 3 + 64 > MaxFrameBytes)
        {
            throw new ArgumentException(
                $"The argument takes {encoded.Length:N0} bytes, more than a worker message holds ({MaxFrameBytes:N0}): put the data in a SharedArray and pass its Handle.",
                nameof(argument));
        }
        ThrowIfFaulted();
        var item = new PendingItem<TResult>(Interlocked.Increment(ref _nextItemId), index, function, encoded, onDone);
        item.RegisterCancellation(cancellationToken);
        try
        {
            _queue.Add(item, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(WorkerPool));
        }
        if (Volatile.Read(ref _fault) is { } fault)
        {
            // The last worker was lost while we queued: nobody will take the item.
            item.Fail(Unavailable(fault));
        }
        return item;
    }

    private void Requeue(PendingItem item)
    {
        try
        {
            _queue.Add(item);
        }
        catch (InvalidOperationException)
        {
            item.Fail(new ObjectDisposedException(nameof(WorkerPool), "The pool was disposed before this item started."));
        }
    }

    private void ThrowIfFaulted()
    {
        if (Volatile.Read(ref _fault) is { } fault)
        {
            throw Unavailable(fault);
        }
    }

    private static InvalidOperationException Unavailable(Exception cause) =>
        new("No worker of the pool can run: every worker died and could not be replaced. " + cause.Message, cause);

    /// <summary>A slot gave up; the last one to go fails everything queued and everything submitted later.</summary>
    private void SlotLost(Exception cause)
    {
        if (Interlocked.Decrement(ref _liveSlots) > 0)
        {
            return;
        }
        Interlocked.CompareExchange(ref _fault, cause, null);
        while (_queue.TryTake(out PendingItem? item))
        {
            item.Fail(Unavailable(cause));
        }
    }

    /// <summary>
    /// Shuts the workers down: each finishes its current item and exits; any still running after
    /// <see cref="WorkerPoolOptions.ShutdownTimeout"/> is killed. Items not started fail with
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposeState, 1) != 0)
        {
            return;
        }
        _disposed = true;
        _queue.CompleteAdding();
        while (_queue.TryTake(out PendingItem? item))
        {
            item.Fail(new ObjectDisposedException(nameof(WorkerPool), "The pool was disposed before this item started."));
        }
        foreach (Slot slot in _slots)
        {
            slot.RequestShutdown();
        }
        long deadline = Environment.TickCount64 + (long)_options.ShutdownTimeout.TotalMilliseconds;
        foreach (Slot slot in _slots)
        {
            slot.WaitOrKill(deadline);
        }
        foreach (Thread thread in _threads)
        {
            if (thread is not null && thread != Thread.CurrentThread) // Dispose from a progress callback runs on a slot thread
            {
                thread.Join();
            }
        }
        foreach (Slot slot in _slots)
        {
            slot.Release();
        }
        _listener.Dispose();
        _acceptor.Join();
        foreach (string nonce in _arrivals.Keys)
        {
            if (_arrivals.TryRemove(nonce, out var arrival) && !arrival.TrySetCanceled() && arrival.Task.IsCompletedSuccessfully)
            {
                arrival.Task.Result.Dispose();
            }
        }
    }

    /// <summary>
    /// Accepts connections and hands each to the hello check on the thread pool, so that a slow or
    /// hostile peer never holds up the workers. Only processes of this user get as far as the hello.
    /// </summary>
    private void Accept()
    {
        uint uid = Interop.Libc.GetEUid();
        while (true)
        {
            Socket connection;
            try
            {
                connection = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // disposed
            }
            if (PeerCredentials(connection).Uid != uid)
            {
                connection.Dispose(); // the abstract socket is reachable by every user of the host
                continue;
            }
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Pool.Greet(state.Connection), (Pool: this, Connection: connection), preferLocal: false);
        }
    }

    /// <summary>Reads a hello within 10 s and gives the connection to the start that expects its nonce; anything else is dropped.</summary>
    private void Greet(Socket connection)
    {
        try
        {
            connection.ReceiveTimeout = 10_000;
            byte[] buffer = new byte[MaxHelloBytes];
            if (!TryReadFrame(connection, ref buffer, out int length, MaxHelloBytes))
            {
                connection.Dispose();
                return;
            }
            using var reader = new BinaryReader(new MemoryStream(buffer, 0, length), Encoding.UTF8);
            if ((Message)reader.ReadByte() != Message.Hello ||
                !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(reader.ReadString()), Encoding.UTF8.GetBytes(_token)))
            {
                connection.Dispose();
                return;
            }
            string nonce = reader.ReadString();
            connection.ReceiveTimeout = 0;
            if (!_arrivals.TryGetValue(nonce, out var arrival) || !arrival.TrySetResult(connection))
            {
                connection.Dispose(); // a start that gave up on this worker, or not one we started
            }
        }
        catch (Exception)
        {
            // Whatever a peer sends, it must not take the pool's process down.
            connection.Dispose();
        }
    }

    /// <summary>The default worker command: this program again, however it was started.</summary>
    private static (string File, IReadOnlyList<string> Arguments) OwnCommand()
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which program this process runs.");
        if (Path.GetFileNameWithoutExtension(process) == "dotnet")
        {
            // `dotnet app.dll` (dotnet run of a project without an apphost, or by hand): start the same dll.
            string? name = Assembly.GetEntryAssembly()?.GetName().Name;
            string dll = Path.Combine(AppContext.BaseDirectory, name + ".dll");
            if (name is null || !File.Exists(dll))
            {
                throw new InvalidOperationException("Cannot find the entry assembly to start as a worker; set WorkerPoolOptions.WorkerExecutable.");
            }
            return (process, [dll]);
        }
        return (process, []); // an apphost or a NativeAOT executable
    }

    /// <summary>One worker: its process, its connection, and the thread that feeds it items.</summary>
    private sealed class Slot(WorkerPool pool, int index)
    {
        private readonly Lock _sendLock = new();
        private readonly MemoryStream _sendBuffer = new();
        private Process? _process;
        private Socket? _socket;
        private byte[] _receiveBuffer = new byte[4096];

        internal int Pid { get; private set; }

        internal void StartWorker()
        {
            var (file, arguments) = pool._options.WorkerExecutable is { } exe ? (exe, pool._options.WorkerArguments) : OwnCommand();
            var info = new ProcessStartInfo(file)
            {
                UseShellExecute = false,
                RedirectStandardInput = true, // workers must not compete for the terminal's input
            };
            foreach (string argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }
            foreach (var (key, value) in pool._options.WorkerEnvironment)
            {
                info.Environment[key] = value;
            }
            // The worker names itself by a nonce of this start, not by PID: a wrapper that forks has another PID.
            string nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            info.Environment[SocketVariable] = pool._address;
            info.Environment[TokenVariable] = pool._token;
            info.Environment[NonceVariable] = nonce;
            info.Environment[ParentVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

            var arrival = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
            pool._arrivals[nonce] = arrival;
            Process? process = null;
            try
            {
                process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start worker {file}.");
                _process = process;
                Pid = process.Id;
                long deadline = Environment.TickCount64 + (long)pool._options.StartTimeout.TotalMilliseconds;
                while (!arrival.Task.Wait(50))
                {
                    if (process.HasExited)
                    {
                        throw new WorkerCrashedException(
                            $"Worker process {process.Id} ({file}) exited with code {process.ExitCode} before connecting to the pool. " +
                            "Its Main must call WorkerHost.Run(functions) when WorkerHost.IsWorkerProcess is true, before anything else.",
                            process.Id, "(start)", -1, process.ExitCode, null);
                    }
                    if (Environment.TickCount64 > deadline || pool._disposed)
                    {
                        throw new TimeoutException($"Worker process {process.Id} ({file}) did not connect within {pool._options.StartTimeout.TotalSeconds:0} s.");
                    }
                }
                _socket = arrival.Task.Result;
                if (pool._options.Initializer is { } initializer)
                {
                    Initialize(initializer, deadline);
                }
            }
            catch
            {
                Retire(process);
                throw;
            }
            finally
            {
                if (pool._arrivals.TryRemove(nonce, out _) && !arrival.TrySetCanceled() && _socket is null && arrival.Task.IsCompletedSuccessfully)
                {
                    arrival.Task.Result.Dispose(); // arrived after we gave up
                }
            }
        }

        private void Initialize(WorkerInitializer initializer, long deadline)
        {
            Send(Message.Initialize, w =>
            {
                w.Write(initializer.Name);
                w.Write(initializer.Argument);
            });
            // The initializer is part of starting: it gets what is left of the start timeout.
            _socket!.ReceiveTimeout = (int)Math.Clamp(deadline - Environment.TickCount64, 1, int.MaxValue);
            BinaryReader? reply;
            try
            {
                reply = Receive();
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                throw new TimeoutException($"The initializer '{initializer.Name}' did not finish in worker {Pid} within the start timeout of {pool._options.StartTimeout.TotalSeconds:0} s.");
            }
            using (reply)
            {
                _socket.ReceiveTimeout = 0;
                if (reply is null)
                {
                    throw Crashed(initializer.Name, -1, "while it ran the initializer");
                }
                if ((Message)reply.ReadByte() is Message.Error)
                {
                    reply.ReadInt64();
                    string type = reply.ReadString(), message = reply.ReadString(), stack = reply.ReadString();
                    throw new WorkerException($"The initializer '{initializer.Name}' failed in worker {Pid}: {type}: {message}",
                        type, message, stack, Pid, initializer.Name, -1);
                }
            }
        }

        /// <summary>Forgets the worker: closes the connection and kills the process (and anything it started).</summary>
        private void Retire(Process? process)
        {
            _socket?.Dispose();
            _socket = null;
            process ??= _process;
            try
            {
                if (process is { HasExited: false })
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone already, or never started.
            }
            process?.Dispose();
            _process = null;
            Pid = 0;
        }

        /// <summary>The slot's thread: takes the next item, runs it on the worker, replaces a dead worker.</summary>
        internal void Serve()
        {
            while (true)
            {
                if (_socket is null)
                {
                    if (pool._disposed)
                    {
                        return;
                    }
                    try
                    {
                        StartWorker();
                        Interlocked.Increment(ref pool._replacements);
                    }
                    catch (Exception e)
                    {
                        // A replacement cannot start: this slot stops; its queued items go to the others,
                        // and if it was the last, they fail.
                        pool.SlotLost(e);
                        return;
                    }
                    if (pool._disposed)
                    {
                        RequestShutdown(); // started while the pool was being disposed: Dispose may have missed it
                        return;
                    }
                }
                PendingItem item;
                try
                {
                    item = pool._queue.Take();
                }
                catch (InvalidOperationException)
                {
                    return; // disposed
                }
                if (pool._disposed)
                {
                    item.Fail(new ObjectDisposedException(nameof(WorkerPool), "The pool was disposed before this item started."));
                    continue;
                }
                if (!item.TryStart(this))
                {
                    continue; // cancelled while queued
                }
                try
                {
                    RunOne(item);
                }
                catch (Exception e)
                {
                    // A broken reply or connection: the item fails, the worker is replaced, the pool goes on.
                    item.Fail(new InvalidOperationException($"The connection to worker {Pid} broke while it ran item {item.Index} of '{item.Function}': {e.Message}", e));
                    Retire(null);
                }
            }
        }

        private void RunOne(PendingItem item)
        {
            try
            {
                Send(Message.Run, w =>
                {
                    w.Write(item.Id);
                    w.Write(item.Function);
                    w.Write(item.Argument);
                });
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The worker died while idle: the item never reached it, so it goes back for another worker.
                Retire(null);
                if (item.TryRequeue())
                {
                    pool.Requeue(item);
                }
                return;
            }
            using BinaryReader? reply = Receive();
            if (reply is null)
            {
                item.Fail(Crashed(item.Function, item.Index, $"while it ran item {item.Index} of '{item.Function}'"));
                return;
            }
            switch ((Message)reply.ReadByte())
            {
                case Message.Result:
                    reply.ReadInt64();
                    item.Complete(reply);
                    break;
                case Message.Error:
                    reply.ReadInt64();
                    string type = reply.ReadString(), message = reply.ReadString(), stack = reply.ReadString();
                    item.Fail(new WorkerException($"{type} in worker {Pid} running '{item.Function}' (item {item.Index}): {message}",
                        type, message, stack, Pid, item.Function, item.Index));
                    break;
                default:
                    throw new InvalidDataException("Broken worker protocol: unexpected reply.");
            }
        }

        /// <summary>The worker died: describe how, and forget it so that the loop starts a replacement.</summary>
        private WorkerCrashedException Crashed(string function, long itemIndex, string when)
        {
            Process? process = _process;
            int pid = Pid;
            int? exitCode = null, signal = null;
            if (process is not null && process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                exitCode = process.ExitCode;
                if (exitCode is > 128 and < 128 + 65)
                {
                    signal = exitCode - 128; // how .NET reports a process that a signal ended (an exit(129..192) looks the same)
                }
            }
            Retire(process);
            string how = signal is { } s ? $"was killed by signal {s} ({SignalName(s)})" : exitCode is { } c ? $"exited with code {c}" : "stopped answering";
            return new WorkerCrashedException($"Worker process {pid} {how} {when}." + (pool._disposed ? "" : " It will be replaced."),
                pid, function, itemIndex, exitCode, signal);
        }

        private static string SignalName(int signal) => signal switch
        {
            1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE",
            9 => "SIGKILL", 11 => "SIGSEGV", 13 => "SIGPIPE", 15 => "SIGTERM",
            _ => "signal " + signal.ToString(CultureInfo.InvariantCulture),
        };

        internal void SendCancel(long itemId)
        {
            try
            {
                Send(Message.Cancel, w => w.Write(itemId));
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or NullReferenceException)
            {
                // The worker is gone; nothing to cancel.
            }
        }

        internal void RequestShutdown()
        {
            try
            {
                Send(Message.Shutdown, static _ => { });
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or NullReferenceException)
            {
                // Not started or already gone.
            }
        }

        internal void WaitOrKill(long deadline)
        {
            Process? process = _process;
            if (process is null)
            {
                return;
            }
            try
            {
                int wait = (int)Math.Max(0, deadline - Environment.TickCount64);
                if (!process.WaitForExit(wait))
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
                // Never started.
            }
        }

        /// <summary>Closes the connection and the process handle, once the slot's thread has stopped.</summary>
        internal void Release() => Retire(null);

        private void Send(Message type, Action<BinaryWriter> body)
        {
            lock (_sendLock)
            {
                Socket socket = _socket ?? throw new ObjectDisposedException("worker connection");
                _sendBuffer.SetLength(0);
                using (var writer = new BinaryWriter(_sendBuffer, Encoding.UTF8, leaveOpen: true))
                {
                    writer.Write((byte)type);
                    body(writer);
                }
                WriteFrame(socket, _sendBuffer);
            }
        }

        /// <summary>The next frame from the worker, or null if it is gone.</summary>
        private BinaryReader? Receive()
        {
            Socket? socket = _socket;
            if (socket is null || !TryReadFrame(socket, ref _receiveBuffer, out int length))
            {
                return null;
            }
            return new BinaryReader(new MemoryStream(_receiveBuffer, 0, length, writable: false), Encoding.UTF8);
        }

        public override string ToString() => $"worker {index} (PID {Pid})";
    }

    /// <summary>An item from submission to completion.</summary>
    private abstract class PendingItem(long id, long index, string function, byte[] argument, Action<PendingItem>? onDone)
    {
        private const int Queued = 0, Running = 1, Done = 2;
        private int _state;
        private Slot? _slot;
        private CancellationTokenRegistration _cancellation;

        internal long Id { get; } = id;
        internal long Index { get; } = index;
        internal string Function { get; } = function;
        internal byte[] Argument { get; } = argument;
        internal int WorkerPid { get; private set; }
        internal bool Failed { get; private set; }

        internal void RegisterCancellation(CancellationToken token)
        {
            if (token.CanBeCanceled)
            {
                _cancellation = token.Register(static (state, token) => ((PendingItem)state!).Cancel(token), this);
            }
        }

        /// <summary>Claims a queued item for <paramref name="slot"/>; false if it was cancelled meanwhile.</summary>
        internal bool TryStart(Slot slot)
        {
            _slot = slot;
            WorkerPid = slot.Pid;
            return Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;
        }

        /// <summary>Returns a claimed item to the queue (its worker died before it got it); false if it was cancelled meanwhile.</summary>
        internal bool TryRequeue() => Interlocked.CompareExchange(ref _state, Queued, Running) == Running;

        private void Cancel(CancellationToken token)
        {
            int previous = Interlocked.Exchange(ref _state, Done);
            if (previous == Done)
            {
                return;
            }
            if (previous == Running)
            {
                _slot?.SendCancel(Id);
            }
            SetCanceled(token);
        }

        internal void Complete(BinaryReader result)
        {
            if (Interlocked.Exchange(ref _state, Done) != Done)
            {
                SetResult(result);
                Finish();
            }
        }

        internal void Fail(Exception exception)
        {
            if (Interlocked.Exchange(ref _state, Done) != Done)
            {
                Failed = true;
                SetException(exception);
                Finish();
            }
        }

        private void Finish()
        {
            _cancellation.Dispose();
            try
            {
                onDone?.Invoke(this);
            }
            catch (Exception)
            {
                // A throwing IProgress must not take a slot thread (and the process) down; progress is advisory.
            }
        }

        protected abstract void SetResult(BinaryReader result);

        protected abstract void SetException(Exception exception);

        protected abstract void SetCanceled(CancellationToken token);
    }

    private sealed class PendingItem<TResult>(long id, long index, string function, byte[] argument, Action<PendingItem>? onDone)
        : PendingItem(id, index, function, argument, onDone)
    {
        private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal Task<TResult> Task => _completion.Task;

        protected override void SetResult(BinaryReader result)
        {
            try
            {
                _completion.SetResult(WorkerCodec<TResult>.Read(result));
            }
            catch (Exception e)
            {
                _completion.SetException(new InvalidOperationException(
                    $"The worker's result for '{Function}' is not a {typeof(TResult)}: the function registered in the worker returns another type.", e));
            }
        }

        protected override void SetException(Exception exception) => _completion.SetException(exception);

        protected override void SetCanceled(CancellationToken token) => _completion.SetCanceled(token);
    }
}
