using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;

namespace SharedArrays.Benchmarks.Sync;

/// <summary>
/// The issue #5 benchmarks, each against its baseline in the same run: uncontended lock+unlock
/// (named <see cref="Mutex"/>, Python's multiprocessing.Lock), a lock contended by two processes, a
/// consistent 1 MiB snapshot (a plain copy), and publish-to-wake latency across processes (a Unix
/// socket round trip). Medians of several trials; memory is hot (the array was just touched).
/// </summary>
internal static class SyncBenchmarks
{
    private sealed record Result(string Name, string Unit, double Ours, string Baseline, double BaselineValue, string Goal, bool? Met, string Note = "")
    {
        /// <summary>Baseline over ours: how many times faster we are (greater is better).</summary>
        internal double Speedup => BaselineValue / Ours;
    }

    internal static int Run(bool json, bool quick)
    {
        int scale = quick ? 10 : 1;
        string directory = Path.Combine("/dev/shm", "sharr-bench-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var results = new List<Result>();
        try
        {
            Uncontended(directory, scale, results, json);
            Contended(directory, scale, results, json);
            Snapshot(directory, scale, results, json);
            WakeLatency(directory, scale, results, json);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        if (json)
        {
            WriteJson(results);
        }
        else
        {
            WriteTable(results);
        }
        return 0;
    }

    private static void Progress(bool json, string text)
    {
        if (!json)
        {
            Console.Error.WriteLine("  measuring " + text + "...");
        }
    }

    private static double Median(double[] values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double Percentile(double[] values, double p)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static void Uncontended(string directory, int scale, List<Result> results, bool json)
    {
        Progress(json, "uncontended lock+unlock");
        using SharedMutex ours = SharedMutex.Create("lock", new SharedArrayCreateOptions { Directory = directory });
        using var named = new Mutex(false, "sharr-bench-" + Path.GetFileName(directory));
        long oursOps = 2_000_000 / scale, namedOps = 200_000 / scale;
        // Trials alternate between the two, so that a burst of other load on the machine hits both alike;
        // the first pair warms up (and lets the JIT finish tiering).
        var oursTrials = new double[7];
        var namedTrials = new double[7];
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromMilliseconds(500)) // tiered JIT: past call counting and its delay
        {
            using (ours.Lock())
            {
            }
        }
        for (int t = -1; t < oursTrials.Length; t++)
        {
            long start = Stopwatch.GetTimestamp();
            for (long i = 0; i < oursOps; i++)
            {
                using (ours.Lock())
                {
                }
            }
            double o = Stopwatch.GetElapsedTime(start).TotalNanoseconds / oursOps;
            start = Stopwatch.GetTimestamp();
            for (long i = 0; i < namedOps; i++)
            {
                named.WaitOne();
                named.ReleaseMutex();
            }
            double n = Stopwatch.GetElapsedTime(start).TotalNanoseconds / namedOps;
            if (t >= 0)
            {
                oursTrials[t] = o;
                namedTrials[t] = n;
            }
        }
        double oursNs = Median(oursTrials), namedNs = Median(namedTrials);
        results.Add(new Result("uncontended lock+unlock", "ns", oursNs, ".NET named Mutex (WaitOne+ReleaseMutex)", namedNs, ">= 10x faster", namedNs / oursNs >= 10));

        double? pythonNs = PythonLock(200_000 / scale);
        if (pythonNs is { } py)
        {
            results.Add(new Result("uncontended lock+unlock", "ns", oursNs, "Python multiprocessing.Lock (acquire+release)", py, "", null,
                "includes the Python loop, as a Python caller pays it"));
        }
    }

    private static double? PythonLock(int n)
    {
        const string Script = """
            import multiprocessing as mp, statistics, sys, time
            n = int(sys.argv[1]); lock = mp.Lock(); acquire, release = lock.acquire, lock.release
            def run(k):
                t = time.perf_counter_ns()
                for _ in range(k):
                    acquire(); release()
                return (time.perf_counter_ns() - t) / k
            run(n // 10)
            print(statistics.median(run(n) for _ in range(7)))
            """;
        foreach (string python in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                info.ArgumentList.Add("-c");
                info.ArgumentList.Add(Script);
                info.ArgumentList.Add(n.ToString(CultureInfo.InvariantCulture));
                using Process process = Process.Start(info)!;
                string output = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode == 0 && double.TryParse(output.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double ns))
                {
                    return ns;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed under that name
            }
        }
        return null;
    }

    private static void Contended(string directory, int scale, List<Result> results, bool json)
    {
        Progress(json, "a lock contended by two processes");
        int n = 200_000 / scale;
        using var counter = SharedArray<long>.Create("counter", [2], new SharedArrayCreateOptions { Directory = directory });
        string mutexName = "sharr-bench-c-" + Path.GetFileName(directory);
        var ours = new double[3];
        var named = new double[3];
        for (int t = 0; t < 3; t++)
        {
            ours[t] = ContendOnce(directory, ["child-contend", "ours", n.ToString(CultureInfo.InvariantCulture)], n);
            named[t] = ContendOnce(directory, ["child-contend", "named", (n / 4).ToString(CultureInfo.InvariantCulture), mutexName], n / 4);
        }
        if (counter[0] != 3L * 2 * n || counter[1] != 3L * 2 * (n / 4))
        {
            throw new InvalidOperationException($"Lost updates under contention: {counter[0]} and {counter[1]}.");
        }
        results.Add(new Result("contended lock+unlock, 2 processes", "ns", Median(ours), ".NET named Mutex", Median(named), "", null,
            "per lock, both processes looping lock / increment / unlock"));
    }

    /// <summary>Two processes lock, increment and unlock <paramref name="n"/> times each; returns ns per lock over both.</summary>
    private static double ContendOnce(string directory, string[] args, int n)
    {
        using Process a = SyncChildren.Start(directory, args);
        using Process b = SyncChildren.Start(directory, args);
        Expect(a, "ready");
        Expect(b, "ready");
        a.StandardInput.WriteLine("go");
        a.StandardInput.Flush();
        b.StandardInput.WriteLine("go");
        b.StandardInput.Flush();
        long ticks = Math.Max(long.Parse(a.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture), long.Parse(b.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture));
        a.WaitForExit();
        b.WaitForExit();
        return TimeSpan.FromTicks(ticks).TotalNanoseconds / (2.0 * n);
    }

    private static void Expect(Process child, string line)
    {
        string? got = child.StandardOutput.ReadLine();
        if (got != line)
        {
            throw new InvalidOperationException($"The child said '{got}', not '{line}'.");
        }
    }

    private static void Snapshot(string directory, int scale, List<Result> results, bool json)
    {
        Progress(json, "a consistent 1 MiB snapshot");
        const int Length = 1 << 17; // 131,072 float64 = 1 MiB
        using var array = SharedArray<double>.Create("frame", [Length], new SharedArrayCreateOptions { Directory = directory });
        using (array.BeginWrite())
        {
            for (int i = 0; i < Length; i++)
            {
                array[i] = i;
            }
        }
        double[] copy = new double[Length];
        int iterations = 4_000 / scale;
        // Trials alternate between the two, so that a burst of other load on the machine hits both alike.
        var ours = new double[9];
        var plain = new double[9];
        for (int t = -1; t < ours.Length; t++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < iterations; i++)
            {
                array.ReadConsistent(copy, TimeSpan.FromSeconds(1));
            }
            double o = Stopwatch.GetElapsedTime(start).TotalNanoseconds / iterations;
            start = Stopwatch.GetTimestamp();
            for (int i = 0; i < iterations; i++)
            {
                array.AsReadOnlySpan().CopyTo(copy);
            }
            double p = Stopwatch.GetElapsedTime(start).TotalNanoseconds / iterations;
            if (t >= 0) // t = -1 is the warm-up
            {
                ours[t] = o;
                plain[t] = p;
            }
        }
        double oursNs = Median(ours), plainNs = Median(plain);
        results.Add(new Result("consistent snapshot of 1 MiB (seqlock), hot", "us", oursNs / 1000, "plain copy of 1 MiB (Span.CopyTo, memmove)", plainNs / 1000,
            "<= 1.5x the copy", oursNs / plainNs <= 1.5, "trials alternate between the two"));
    }

    private static void WakeLatency(string directory, int scale, List<Result> results, bool json)
    {
        Progress(json, "publish-to-wake latency and a Unix socket round trip");
        int n = 2_000 / scale;
        var options = new SharedArrayCreateOptions { Directory = directory };
        using var signal = SharedArray<long>.Create("signal", [2], options);
        using var latencies = SharedArray<long>.Create("latencies", [n], options);
        using (Process waiter = SyncChildren.Start(directory, "child-wake", n.ToString(CultureInfo.InvariantCulture)))
        {
            Expect(waiter, "ready");
            for (int i = 0; i < n; i++)
            {
                Thread.Sleep(1); // the waiter is asleep in FUTEX_WAIT: this measures a real wake-up
                using (signal.BeginWrite())
                {
                    signal[0] = Stopwatch.GetTimestamp();
                }
                var spin = new SpinWait();
                while (Volatile.Read(ref signal[1]) != i + 1)
                {
                    spin.SpinOnce();
                }
            }
            waiter.WaitForExit();
        }
        double[] wake = latencies.ToArray().Select(t => TimeSpan.FromTicks(t * TimeSpan.TicksPerSecond / Stopwatch.Frequency).TotalMicroseconds).ToArray();

        string path = Path.Combine(directory, "echo.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        double[] roundTrips = new double[n];
        using (Process echo = SyncChildren.Start(directory, "child-echo", path, n.ToString(CultureInfo.InvariantCulture)))
        using (Socket peer = listener.Accept())
        {
            byte[] one = [42];
            for (int i = 0; i < n; i++)
            {
                Thread.Sleep(1); // the echoer is asleep in recv, as the waiter was in FUTEX_WAIT
                long start = Stopwatch.GetTimestamp();
                peer.Send(one);
                if (peer.Receive(one) != 1)
                {
                    throw new InvalidOperationException("The echo child closed the socket.");
                }
                roundTrips[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
            echo.WaitForExit();
        }
        double wakeP50 = Median(wake), rttP50 = Median(roundTrips);
        results.Add(new Result("publish-to-wake latency across processes, p50", "us", wakeP50, "Unix socket ping-pong round trip, p50", rttP50,
            "p50 < the round trip", wakeP50 < rttP50,
            $"p99 {Percentile(wake, 0.99):0.0} us vs {Percentile(roundTrips, 0.99):0.0} us; {n} samples each, 1 ms apart"));
    }

    private static void WriteTable(List<Result> results)
    {
        Console.WriteLine($"SharedArrays sync benchmarks: {Environment.ProcessorCount} CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; medians");
        Console.WriteLine();
        Console.WriteLine($"{"benchmark",-46} {"ours",12} {"baseline",12} {"baseline/ours",14}  {"goal",-22} baseline");
        foreach (Result r in results)
        {
            string met = r.Met switch { true => "met", false => "NOT MET", null => "" };
            Console.WriteLine($"{r.Name,-46} {r.Ours,9:0.000} {r.Unit,-2} {r.BaselineValue,9:0.000} {r.Unit,-2} {r.Speedup,13:0.00}x  {(r.Goal + " " + met).Trim(),-22} {r.Baseline}");
            if (r.Note.Length > 0)
            {
                Console.WriteLine($"{"",-46} ({r.Note})");
            }
        }
    }

    private static void WriteJson(List<Result> results)
    {
        using Stream stdout = Console.OpenStandardOutput();
        using var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        writer.WriteNumber("processors", Environment.ProcessorCount);
        writer.WriteString("os", System.Runtime.InteropServices.RuntimeInformation.OSDescription);
        writer.WriteString("dotnet", Environment.Version.ToString());
        writer.WriteStartArray("results");
        foreach (Result r in results)
        {
            writer.WriteStartObject();
            writer.WriteString("name", r.Name);
            writer.WriteString("unit", r.Unit);
            writer.WriteNumber("ours", Math.Round(r.Ours, 4));
            writer.WriteString("baseline", r.Baseline);
            writer.WriteNumber("baseline_value", Math.Round(r.BaselineValue, 4));
            writer.WriteNumber("baseline_over_ours", Math.Round(r.Speedup, 3));
            writer.WriteString("goal", r.Goal);
            if (r.Met is { } met)
            {
                writer.WriteBoolean("met", met);
            }
            else
            {
                writer.WriteNull("met");
            }
            writer.WriteString("note", r.Note);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        stdout.Write("\n"u8);
    }
}
