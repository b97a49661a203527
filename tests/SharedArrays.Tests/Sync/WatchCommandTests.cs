using System.Diagnostics;
using System.Text.Json;
using SharedArrays.Tests.CrossProcess;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Sync;

/// <summary><c>sharr watch</c>, run as a real process in its non-interactive modes.</summary>
[Collection(nameof(CrossProcessCollection))]
public class WatchCommandTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonElement NextJson(Process watch)
    {
        Task<string?> line = watch.StandardOutput.ReadLineAsync(Ct).AsTask();
        if (!line.Wait(Generous, Ct) || line.Result is null)
        {
            string err = watch.HasExited ? watch.StandardError.ReadToEnd() : "";
            throw new InvalidOperationException($"sharr watch printed nothing within {Generous}. {err}");
        }
        return JsonDocument.Parse(line.Result).RootElement.Clone();
    }

    [Fact]
    public void Watch_prints_the_state_then_one_line_per_change_and_stops_after_count()
    {
        using var dir = new PrivateDirectory("watch");
        using var array = SharedArray<double>.Create("a", [4], new SharedArrayCreateOptions { Directory = dir.Path });
        using (array.BeginWrite(Ct))
        {
            array.CopyFrom([1, 2, 3, 4]);
        }
        using Process watch = Processes.StartSharr("watch", "a", "--json-lines", "--count", "3", "--dir", dir.Path);
        JsonElement first = NextJson(watch);
        Assert.Equal("a", first.GetProperty("name").GetString());
        Assert.Equal(2, first.GetProperty("version").GetInt64());
        Assert.Equal(4, first.GetProperty("count").GetInt64());
        Assert.Equal(2.5, first.GetProperty("mean").GetDouble());
        Assert.Equal(Math.Sqrt(1.25), first.GetProperty("std").GetDouble(), 12);
        Assert.Equal(1, first.GetProperty("min").GetDouble());
        Assert.Equal(4, first.GetProperty("max").GetDouble());

        for (int i = 1; i <= 3; i++)
        {
            using (array.BeginWrite(Ct))
            {
                array.AsSpan().Fill(10 * i);
            }
            JsonElement change = NextJson(watch);
            Assert.Equal(2 + 2 * i, change.GetProperty("version").GetInt64());
            Assert.Equal(10.0 * i, change.GetProperty("mean").GetDouble());
            Assert.Equal(0, change.GetProperty("std").GetDouble());
        }
        Assert.True(watch.WaitForExit(Generous), "watch did not stop after --count changes");
        Assert.Equal(0, watch.ExitCode);
    }

    [Fact]
    public void Watch_shows_the_newest_frame_of_a_publisher()
    {
        using var dir = new PrivateDirectory("watchp");
        using var publisher = SharedPublisher<int>.Create("frames", [3], options: new SharedArrayCreateOptions { Directory = dir.Path });
        publisher.Publish([1, 1, 1]);
        using Process watch = Processes.StartSharr("watch", "frames", "--json-lines", "--count", "2", "--dir", dir.Path);
        JsonElement first = NextJson(watch);
        Assert.Equal(1, first.GetProperty("frame").GetInt64());
        Assert.Equal(3, first.GetProperty("count").GetInt64()); // one frame, not the three slots
        Assert.Equal(1, first.GetProperty("mean").GetDouble());
        for (int f = 2; f <= 3; f++)
        {
            publisher.Publish([f, f, f]);
            JsonElement change = NextJson(watch);
            Assert.Equal(f, change.GetProperty("frame").GetInt64());
            Assert.Equal(f, change.GetProperty("max").GetDouble());
        }
        Assert.True(watch.WaitForExit(Generous));
        Assert.Equal(0, watch.ExitCode);
    }

    [Fact]
    public async Task SIGTERM_stops_a_watch_cleanly_with_exit_code_0()
    {
        using var dir = new PrivateDirectory("watcht");
        using var array = SharedArray<long>.Create("a", [1000], new SharedArrayCreateOptions { Directory = dir.Path });
        using Process watch = Processes.StartSharr("watch", "a", "--dir", dir.Path);
        string? line = await watch.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(Generous, Ct);
        Assert.Contains("version=0", line, StringComparison.Ordinal);
        var clock = Stopwatch.StartNew();
        Processes.Signal(watch, 15);
        Assert.Equal(0, watch.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Watching_what_is_missing_or_a_plain_npy_fails_with_one_line()
    {
        using var dir = new PrivateDirectory("watchx");
        var missing = Processes.RunSharr("watch", "nope", "--dir", dir.Path);
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith("sharr: ", missing.StdErr, StringComparison.Ordinal);

        using (var array = SharedArray<float>.Create("a", [2], new SharedArrayCreateOptions { Directory = dir.Path }))
        {
            NpyFile.Save(array, Path.Combine(dir.Path, "plain.npy"));
        }
        var plain = Processes.RunSharr("watch", Path.Combine(dir.Path, "plain.npy"));
        Assert.Equal(2, plain.ExitCode);
        Assert.Contains("plain .npy", plain.StdErr, StringComparison.Ordinal);
    }
}
