using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using SharedArrays;

/// <summary>
/// The test child's synchronisation modes (issue #5). Each prints one line per event on stdout, flushed
/// at once (the process may be killed with SIGKILL at any moment and what it printed must be true), and
/// runs in SHARR_DIR (a private directory the test sets).
/// <list type="bullet">
/// <item><c>sync-hold NAME</c>: lock the mutex of segment NAME, print <c>locked DIED</c> (DIED 0/1), hold it until stdin closes.</item>
/// <item><c>sync-kill-holder NAME</c>: int64 array NAME = [acquisitions, dirty, abandon-next]. Print <c>W 0</c>, then lock (retrying every
///   2 ms after <c>NR</c>, MutexNotRecoverableException); print <c>L DIED DIRTY</c>; if the owner died: when
///   abandon-next is set, clear it, print <c>A</c> and release without MarkConsistent (fail closed), exit;
///   else repair (dirty = 0) and MarkConsistent. Then count, set dirty = 1 (half-way through an
///   update), print <c>H</c> and hold until killed.</item>
/// <item><c>sync-seq-writer NAME</c>: write frames 1, 2, ... into uint64 array NAME with BeginWrite/EndWrite,
///   pausing about 1 ms after three frames in four, until stdin closes; print <c>done FRAMES</c>.</item>
/// <item><c>sync-seq-reader NAME READS FORM</c>: FORM copy (TryReadConsistent, then ReadConsistent) or callback
///   (ReadConsistent over the live view); validate every accepted frame. Print
///   <c>done READS TORN REJECTED REJECTED_TORN FIRST LAST</c>: TORN accepted torn frames (must be 0), REJECTED
///   attempts the seqlock refused, REJECTED_TORN those whose data really was torn.</item>
/// <item><c>sync-pub-writer NAME LENGTH</c>: create a SharedPublisher&lt;ulong&gt; of frames [LENGTH], print
///   <c>ready</c>, publish until stdin closes, print <c>done FRAMES</c>.</item>
/// <item><c>sync-pub-reader NAME READS</c>: read the newest frame READS times, alternately in place and by copy;
///   print <c>done READS TORN REJECTED REJECTED_TORN FIRST LAST</c> as above.</item>
/// <item><c>sync-slow-writer NAME</c>: BeginWrite on uint64 array NAME; if the previous owner died, rewrite the
///   whole frame, MarkConsistent, end and print <c>R VERSION</c>; then BeginWrite again, write half the next
///   frame, print <c>M VERSION</c> and hang until killed.</item>
/// <item><c>sync-death-reader NAME</c>: forever: WaitForChange and ReadConsistent on NAME, validating each frame;
///   print <c>D PID MS</c> the first time a WriterDiedException names a dead writer (MS: how long that call
///   waited), and <c>T</c> for a torn frame accepted.</item>
/// <item><c>sync-count NAME N PROCS</c>: int64 array NAME: wait until PROCS processes have arrived ([3]), then
///   N times: [2] += 1 with no synchronisation (lost updates expected), Interlocked.Increment(ref [0]), and [1] += 1
///   under the mutex; print <c>done</c>.</item>
/// <item><c>sync-waiter NAME ACKS ROUNDS</c>: ROUNDS x WaitForChange on NAME (10 s each), checking that each
///   returns the version after the last (no publish missed), then Interlocked.Increment(ref ACKS[0]); then one
///   WaitForChange of 300 ms that must time out. Print <c>done SEEN MISSED TIMEDOUT QUIET</c>.</item>
/// </list>
/// </summary>
internal static class SyncModes
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    internal static int? TryRun(string[] args) => args switch
    {
        ["sync-hold", var name] => Hold(name),
        ["sync-kill-holder", var name] => KillHolder(name),
        ["sync-seq-writer", var name] => SeqWriter(name),
        ["sync-seq-reader", var name, var reads, var form] => SeqReader(name, Int(reads), form),
        ["sync-pub-writer", var name, var length] => PubWriter(name, Int(length)),
        ["sync-pub-reader", var name, var reads] => PubReader(name, Int(reads)),
        ["sync-slow-writer", var name] => SlowWriter(name),
        ["sync-death-reader", var name] => DeathReader(name),
        ["sync-count", var name, var n, var procs] => Count(name, Int(n), Int(procs)),
        ["sync-waiter", var name, var acks, var rounds] => Waiter(name, acks, Int(rounds)),
        _ => null,
    };

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static int Hold(string name)
    {
        using SharedMutex mutex = SharedMutex.Open(name);
        using SharedMutexScope held = mutex.Lock(Long);
        Say(held.PreviousOwnerDied ? "locked 1" : "locked 0");
        Console.In.ReadToEnd();
        return 0;
    }

    private static int KillHolder(string name)
    {
        using var state = SharedArray<long>.Open(name);
        // Console and the code after the lock are made ready first (their first use costs milliseconds of
        // start-up and JIT), so the time between a holder's death and its successor's report is the lock's.
        Say(Invariant($"W {(state[1] + state[2]) * 0}"));
        while (true)
        {
            SharedMutexScope held;
            try
            {
                held = state.Mutex.Lock();
            }
            catch (MutexNotRecoverableException)
            {
                Say("NR");
                Thread.Sleep(2);
                continue;
            }
            bool died = held.PreviousOwnerDied;
            bool dirty = state[1] != 0;
            Say(Invariant($"L {(died ? 1 : 0)} {(dirty ? 1 : 0)}"));
            if (died)
            {
                if (state[2] != 0)
                {
                    state[2] = 0;
                    Say("A");
                    held.Dispose(); // without MarkConsistent: the mutex must fail closed
                    return 0;
                }
                state[1] = 0;
                held.MarkConsistent();
            }
            state[0]++;
            state[1] = 1;
            Say("H");
            Thread.Sleep(Timeout.Infinite);
        }
    }

    private static int SeqWriter(string name)
    {
        using var array = SharedArray<ulong>.Open(name);
        using var stop = StopOnStdinClose();
        long frames = 0;
        while (!stop.IsCancellationRequested)
        {
            using (SharedWriteScope write = array.BeginWrite(Long))
            {
                frames++;
                FramePattern.Fill(array.AsSpan(), (ulong)frames);
                write.MarkConsistent();
            }
            // A frame period, mostly: a writer that never pauses starves every seqlock reader (each
            // finds a write in progress), which is the seqlock's known limit, not what this tests.
            // Every fourth frame follows at once, so reads still overlap the start of a write.
            Thread.Sleep(frames % 4 == 0 ? 0 : 1);
        }
        Say(Invariant($"done {frames}"));
        return 0;
    }

    private static int SeqReader(string name, int reads, string form)
    {
        using var array = SharedArray<ulong>.Open(name, new SharedArrayOpenOptions { ReadOnly = true });
        var buffer = new ulong[array.Length];
        var tally = new Tally();
        for (int r = 0; r < reads; r++)
        {
            if (form == "copy")
            {
                if (!array.TryReadConsistent(buffer, out _))
                {
                    tally.Rejected(FramePattern.Check(buffer) < 0);
                    array.ReadConsistent(buffer, Long);
                }
                tally.Accepted(FramePattern.Check(buffer));
            }
            else
            {
                long frame = array.ReadConsistent((a, _) =>
                {
                    long f = FramePattern.Check(a.AsReadOnlySpan());
                    if (f < 0)
                    {
                        tally.Rejected(true); // a torn state the reader saw; its result must be discarded
                    }
                    return f;
                }, Long);
                tally.Accepted(frame);
            }
        }
        Say(tally.Summary(reads));
        return 0;
    }

    private static int PubWriter(string name, int length)
    {
        using var publisher = SharedPublisher<ulong>.Create(name, [length]);
        using var stop = StopOnStdinClose();
        Say("ready");
        while (!stop.IsCancellationRequested)
        {
            long next = publisher.FrameNumber + 1;
            publisher.Publish(slot => FramePattern.Fill(slot.AsSpan(), (ulong)next));
        }
        Say(Invariant($"done {publisher.FrameNumber}"));
        return 0;
    }

    private static int PubReader(string name, int reads)
    {
        using var subscriber = SharedSubscriber<ulong>.Open(name, new SharedArrayOpenOptions { ReadOnly = true });
        var buffer = new ulong[subscriber.FrameLength];
        var tally = new Tally();
        for (int r = 0; r < reads; r++)
        {
            if (r % 2 == 0)
            {
                long frame = subscriber.ReadLatest(buffer, Long);
                long seen = FramePattern.Check(buffer);
                tally.Accepted(seen == frame ? seen : -1);
            }
            else
            {
                (long seen, long frame) = subscriber.ReadLatest((a, f) =>
                {
                    long s = FramePattern.Check(a.AsReadOnlySpan());
                    if (s != f)
                    {
                        tally.Rejected(true);
                    }
                    return (s, f);
                }, Long);
                tally.Accepted(seen == frame ? seen : -1);
            }
        }
        Say(tally.Summary(reads));
        return 0;
    }

    private static int SlowWriter(string name)
    {
        using var array = SharedArray<ulong>.Open(name);
        Span<ulong> data = array.AsSpan();
        SharedWriteScope write = array.BeginWrite(Long);
        if (write.PreviousOwnerDied)
        {
            FramePattern.Fill(data, (ulong)(write.Version + 1) / 2);
            write.MarkConsistent();
            Say(Invariant($"R {write.EndWrite()}"));
            write = array.BeginWrite(Long);
        }
        // Half of the next frame, then hang inside the write: the test kills us here.
        FramePattern.Fill(data[..(data.Length / 2)], (ulong)(write.Version + 1) / 2);
        Say(Invariant($"M {write.Version}"));
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    private static int DeathReader(string name)
    {
        using var array = SharedArray<ulong>.Open(name, new SharedArrayOpenOptions { ReadOnly = true });
        var buffer = new ulong[array.Length];
        long last = 0;
        int reported = 0;
        while (true)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                last = array.WaitForChange(last, Long);
                array.ReadConsistent(buffer, Long);
                if (FramePattern.Check(buffer) < 0)
                {
                    Say("T");
                }
            }
            catch (WriterDiedException e)
            {
                // Every read is refused until a writer repairs the data; report each dead writer once.
                if (e.WriterPid != reported)
                {
                    reported = e.WriterPid;
                    Say(Invariant($"D {e.WriterPid} {clock.ElapsedMilliseconds}"));
                }
                Thread.Sleep(2);
            }
        }
    }

    private static int Count(string name, int n, int procs)
    {
        using var array = SharedArray<long>.Open(name);
        // Start together, so that the three loops of all processes overlap.
        Interlocked.Increment(ref array[3]);
        var spin = new SpinWait();
        while (Volatile.Read(ref array[3]) < procs)
        {
            spin.SpinOnce(sleep1Threshold: 20);
        }
        // One loop doing all three, so that the processes' unsynchronised updates overlap too.
        ref long unsynchronised = ref array[2];
        for (int i = 0; i < n; i++)
        {
            Volatile.Write(ref unsynchronised, Volatile.Read(ref unsynchronised) + 1);
            Interlocked.Increment(ref array[0]);
            using SharedMutexScope held = array.Mutex.Lock(Long);
            array[1] = array[1] + 1;
        }
        Say("done");
        return 0;
    }

    private static int Waiter(string name, string acksName, int rounds)
    {
        using var array = SharedArray<long>.Open(name, new SharedArrayOpenOptions { ReadOnly = true });
        using var acks = SharedArray<long>.Open(acksName);
        long last = array.Version;
        int seen = 0, missed = 0, timedOut = 0;
        Say("ready");
        for (int r = 0; r < rounds; r++)
        {
            long v = array.WaitForChange(last, TimeSpan.FromSeconds(10));
            if (v == last)
            {
                timedOut++;
            }
            else if (v != last + 2)
            {
                missed++;
            }
            else
            {
                seen++;
            }
            last = v;
            Interlocked.Increment(ref acks[0]);
        }
        bool quiet = array.WaitForChange(last, TimeSpan.FromMilliseconds(300)) == last;
        Say(Invariant($"done {seen} {missed} {timedOut} {(quiet ? 1 : 0)}"));
        return 0;
    }

    private static CancellationTokenSource StopOnStdinClose()
    {
        var stop = new CancellationTokenSource();
        var thread = new Thread(() =>
        {
            Console.In.ReadToEnd();
            stop.Cancel();
        }) { IsBackground = true };
        thread.Start();
        return stop;
    }

    /// <summary>Counts of one reader; thread-safe enough for one thread.</summary>
    private sealed class Tally
    {
        private long _torn, _rejected, _rejectedTorn, _first = -1, _last = -1, _backwards;

        internal void Accepted(long frame)
        {
            if (frame < 0)
            {
                _torn++;
                return;
            }
            if (_first < 0)
            {
                _first = frame;
            }
            if (frame < _last)
            {
                _backwards++;
            }
            _last = frame;
        }

        internal void Rejected(bool torn)
        {
            _rejected++;
            if (torn)
            {
                _rejectedTorn++;
            }
        }

        internal string Summary(int reads) =>
            Invariant($"done {reads} {_torn} {_rejected} {_rejectedTorn} {_first} {_last} {_backwards}");
    }
}

/// <summary>
/// The frame every torture writer writes: element i of frame f is E(f) XOR i, where E(f) carries the frame
/// number in its high 32 bits and a 32-bit hash of it in the low bits. A frame torn between two writes has
/// elements from both, and a torn element fails the hash.
/// </summary>
internal static class FramePattern
{
    private static ulong Expected(ulong frame) => (frame << 32) | (uint)(frame * 2654435761u ^ 0x5bd1e995u);

    internal static void Fill(Span<ulong> data, ulong frame)
    {
        ulong e = Expected(frame);
        var iota = Iota();
        var step = new Vector<ulong>((ulong)Vector<ulong>.Count);
        var ve = new Vector<ulong>(e);
        int i = 0;
        for (; i <= data.Length - Vector<ulong>.Count; i += Vector<ulong>.Count)
        {
            (ve ^ iota).CopyTo(data[i..]);
            iota += step;
        }
        for (; i < data.Length; i++)
        {
            data[i] = e ^ (ulong)i;
        }
    }

    /// <summary>The frame number if every element is right, else -1.</summary>
    internal static long Check(ReadOnlySpan<ulong> data)
    {
        if (data.IsEmpty)
        {
            return -1;
        }
        ulong frame = data[0] >> 32;
        ulong e = Expected(frame);
        var iota = Iota();
        var step = new Vector<ulong>((ulong)Vector<ulong>.Count);
        var ve = new Vector<ulong>(e);
        int i = 0;
        for (; i <= data.Length - Vector<ulong>.Count; i += Vector<ulong>.Count)
        {
            if ((new Vector<ulong>(data[i..]) ^ iota) != ve)
            {
                return -1;
            }
            iota += step;
        }
        for (; i < data.Length; i++)
        {
            if ((data[i] ^ (ulong)i) != e)
            {
                return -1;
            }
        }
        return (long)frame;
    }

    private static Vector<ulong> Iota()
    {
        Span<ulong> values = stackalloc ulong[Vector<ulong>.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (ulong)i;
        }
        return new Vector<ulong>(values);
    }
}
