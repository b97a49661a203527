using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using SharedArrays;

// The seed's "data server", done with this library: one producer process publishes frames (1,000
// instruments x 100 ticks of float64, 800 KB) into a shared array; three analytics processes compute
// live statistics, each woken by the change notification (no polling), always on the newest complete
// frame (never a torn one); `sharr watch frames` shows the same stream.
//
//   dotnet run -c Release --project examples/DataServer [-- --seconds 10]
//   sharr watch frames            (in another terminal, while it runs)
//
// The orchestrator starts this same program as the producer and the analytics processes.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
return args switch
{
    ["producer", var name, var rate] => Producer(name, int.Parse(rate, CultureInfo.InvariantCulture)),
    ["analytics", var name, var id] => Analytics(name, id),
    _ => Orchestrate(args),
};

static int Orchestrate(string[] args)
{
    int seconds = args is ["--seconds", var s] ? int.Parse(s, CultureInfo.InvariantCulture) : 10;
    const string Name = "frames";
    const int FramesPerSecond = 100;
    Console.WriteLine($"data server: a producer publishing {FramesPerSecond} frames/s into '{Name}', three analytics processes, for {seconds} s");
    Console.WriteLine($"watch it live in another terminal:  sharr watch {Name}");

    using Process producer = Start("producer", Name, FramesPerSecond.ToString(CultureInfo.InvariantCulture));
    if (producer.StandardOutput.ReadLine() != "ready")
    {
        Console.Error.WriteLine("the producer did not start: " + producer.StandardError.ReadToEnd());
        return 1;
    }
    var analytics = Enumerable.Range(1, 3).Select(i => Start("analytics", Name, i.ToString(CultureInfo.InvariantCulture))).ToList();
    var echoes = analytics.Select(p => Echo(p, "")).ToList();
    Process? watch = StartWatch(Name);
    if (watch is not null)
    {
        echoes.Add(Echo(watch, "[sharr watch] "));
    }

    Thread.Sleep(TimeSpan.FromSeconds(seconds));

    producer.StandardInput.Close(); // the producer stops and disposes the publisher, which removes the name
    producer.WaitForExit();
    Console.WriteLine("[producer] " + producer.StandardOutput.ReadToEnd().Trim());
    foreach (Process p in analytics)
    {
        p.StandardInput.Close();
        p.WaitForExit();
    }
    if (watch is not null && !watch.WaitForExit(TimeSpan.FromSeconds(5)))
    {
        watch.Kill();
    }
    Task.WaitAll(echoes.ToArray());
    analytics.ForEach(p => p.Dispose());
    watch?.Dispose();
    return 0;
}

static Process Start(params string[] args)
{
    string host = Environment.ProcessPath!;
    var info = new ProcessStartInfo(host) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(host) == "dotnet")
    {
        info.ArgumentList.Add(typeof(Frames).Assembly.Location);
    }
    foreach (string arg in args)
    {
        info.ArgumentList.Add(arg);
    }
    return Process.Start(info)!;
}

/// <summary>`sharr watch NAME --json-lines --count 5` from this repository's build, if there is one.</summary>
static Process? StartWatch(string name)
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SharedArrays.sln")))
    {
        dir = dir.Parent;
    }
    string? sharr = dir is null ? null : new[] { "Release", "Debug" }
        .Select(c => Path.Combine(dir.FullName, "src", "SharedArrays.Cli", "bin", c, "net10.0", "sharr.dll"))
        .FirstOrDefault(File.Exists);
    if (sharr is null)
    {
        Console.WriteLine("(build src/SharedArrays.Cli to see sharr watch here too)");
        return null;
    }
    var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (string arg in new[] { sharr, "watch", name, "--json-lines", "--count", "5" })
    {
        info.ArgumentList.Add(arg);
    }
    return Process.Start(info);
}

static Task Echo(Process process, string prefix) => Task.Run(() =>
{
    while (process.StandardOutput.ReadLine() is { } line)
    {
        Console.WriteLine(prefix + line);
    }
});

static int Producer(string name, int framesPerSecond)
{
    using var publisher = SharedPublisher<double>.Create(name, [Frames.Instruments, Frames.Ticks]);
    var random = new Random(1);
    double[] price = Enumerable.Repeat(100.0, Frames.Instruments).ToArray();
    var stop = new CancellationTokenSource();
    new Thread(() => { Console.In.ReadToEnd(); stop.Cancel(); }) { IsBackground = true }.Start();
    Console.WriteLine("ready");
    Console.Out.Flush();
    var period = TimeSpan.FromSeconds(1.0 / framesPerSecond);
    var clock = Stopwatch.StartNew();
    while (!stop.IsCancellationRequested)
    {
        // A random walk per instrument, written straight into the next slot: no copy, and no reader
        // ever sees it before it is complete.
        publisher.Publish(frame =>
        {
            Span<double> ticks = frame.AsSpan();
            for (int i = 0; i < Frames.Instruments; i++)
            {
                for (int t = 0; t < Frames.Ticks; t++)
                {
                    price[i] *= 1 + (random.NextDouble() - 0.5) * 1e-3;
                    ticks[i * Frames.Ticks + t] = price[i];
                }
            }
        });
        TimeSpan next = period * publisher.FrameNumber - clock.Elapsed;
        if (next > TimeSpan.Zero)
        {
            Thread.Sleep(next);
        }
    }
    Console.WriteLine($"published {publisher.FrameNumber} frames in {clock.Elapsed.TotalSeconds:0.0} s");
    return 0;
}

static int Analytics(string name, string id)
{
    using var frames = SharedSubscriber<double>.Open(name, new SharedArrayOpenOptions { ReadOnly = true });
    var stop = new CancellationTokenSource();
    new Thread(() => { Console.In.ReadToEnd(); stop.Cancel(); }) { IsBackground = true }.Start();
    long last = 0, computed = 0, skipped = 0;
    var report = Stopwatch.StartNew();
    try
    {
        while (!stop.IsCancellationRequested)
        {
            // Sleeps on the segment's futex until a newer frame is complete: no polling.
            long frame = frames.WaitForFrame(last, TimeSpan.FromSeconds(1), stop.Token);
            if (frame == last)
            {
                continue;
            }
            // Statistics over the newest frame in place; the read is retried if the producer overtakes it.
            (double mean, double std, double max, long seen) = frames.ReadLatest((a, f) =>
            {
                ReadOnlySpan<double> x = a.AsReadOnlySpan();
                double m = TensorPrimitives.Average(x);
                return (m, TensorPrimitives.StdDev(x), TensorPrimitives.Max(x), f);
            }, TimeSpan.FromSeconds(5), stop.Token);
            if (last != 0)
            {
                skipped += Math.Max(0, seen - last - 1);
            }
            last = seen;
            computed++;
            if (report.Elapsed >= TimeSpan.FromSeconds(2))
            {
                Console.WriteLine($"[analytics {id}] frame {seen}: mean {mean:0.0000}, std {std:0.0000}, max {max:0.0000}; {computed} frames computed, {skipped} skipped (newer ones arrived)");
                Console.Out.Flush();
                report.Restart();
            }
        }
    }
    catch (OperationCanceledException)
    {
    }
    catch (WriterDiedException)
    {
        // The producer went away (it stopped, or died): no more frames.
    }
    Console.WriteLine($"[analytics {id}] done: {computed} frames computed, {skipped} skipped, none torn (the publisher never lets a reader see one)");
    return 0;
}

/// <summary>The frame shape: instruments x ticks.</summary>
internal static class Frames
{
    internal const int Instruments = 1000;
    internal const int Ticks = 100;
}
