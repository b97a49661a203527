using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace SharedArrays.Benchmarks.Sync;

/// <summary>
/// The other side of the cross-process benchmarks: this executable started again with a child-* mode.
/// Each prints <c>ready</c>, then does its part; SHARR_DIR names the benchmark's private directory.
/// </summary>
internal static class SyncChildren
{
    internal static int Run(string[] args) => args switch
    {
        ["child-contend", "ours", var n] => ContendOurs(int.Parse(n, CultureInfo.InvariantCulture)),
        ["child-contend", "named", var n, var mutexName] => ContendNamed(int.Parse(n, CultureInfo.InvariantCulture), mutexName),
        ["child-wake", var n] => Wake(int.Parse(n, CultureInfo.InvariantCulture)),
        ["child-echo", var path, var n] => Echo(path, int.Parse(n, CultureInfo.InvariantCulture)),
        _ => 3,
    };

    /// <summary>Starts this executable as a child in <paramref name="directory"/> (as SHARR_DIR).</summary>
    internal static Process Start(string directory, params string[] args)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable runs.");
        var info = new ProcessStartInfo(host)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, typeof(SyncChildren).Assembly.GetName().Name + ".dll"));
        }
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["SHARR_DIR"] = directory;
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start a child.");
    }

    private static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    /// <summary>After "ready", waits for the parent's "go" on stdin, so both contenders start together.</summary>
    private static void ReadyGo()
    {
        Say("ready");
        _ = Console.In.ReadLine();
    }

    private static int ContendOurs(int n)
    {
        using var counter = SharedArray<long>.Open("counter");
        SharedMutex mutex = counter.Mutex;
        ReadyGo();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            using (mutex.Lock())
            {
                counter[0]++;
            }
        }
        Say(Stopwatch.GetElapsedTime(start).Ticks.ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    private static int ContendNamed(int n, string mutexName)
    {
        using var counter = SharedArray<long>.Open("counter");
        using var mutex = new Mutex(false, mutexName);
        ReadyGo();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            mutex.WaitOne();
            counter[1]++;
            mutex.ReleaseMutex();
        }
        Say(Stopwatch.GetElapsedTime(start).Ticks.ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>
    /// Waits for each publish and records how long after the publisher's timestamp it woke. Stopwatch
    /// reads CLOCK_MONOTONIC, which every process on the machine shares.
    /// </summary>
    private static int Wake(int n)
    {
        using var signal = SharedArray<long>.Open("signal"); // [0] publish timestamp, [1] acknowledgements
        using var latencies = SharedArray<long>.Open("latencies");
        long last = signal.Version;
        Say("ready");
        for (int i = 0; i < n; i++)
        {
            last = signal.WaitForChange(last, TimeSpan.FromSeconds(30));
            long woke = Stopwatch.GetTimestamp();
            latencies[i] = woke - Volatile.Read(ref signal[0]);
            Volatile.Write(ref signal[1], i + 1);
        }
        return 0;
    }

    private static int Echo(string path, int n)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        Span<byte> one = stackalloc byte[1];
        for (int i = 0; i < n; i++)
        {
            if (socket.Receive(one) != 1)
            {
                return 1;
            }
            socket.Send(one);
        }
        return 0;
    }
}
