using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using SharedArrays.Cli.Output;
using SharedArrays.Cli.Parsing;
using Spectre.Console;

namespace SharedArrays.Cli.Commands;

/// <summary>
/// <c>sharr watch NAME</c>: a live view of a segment (version, updates per second, count, mean, std, min,
/// max), refreshed on each change. It sleeps in <see cref="SharedArray.WaitForChange"/> (a futex on the
/// segment's notify word) and reads each state with <see cref="SharedArray.ReadConsistent{TResult}"/>, or
/// the newest frame of a publisher with <see cref="SharedSubscriber.ReadLatest{TResult}"/>. It opens the
/// segment read-only and never writes. Ctrl+C (or SIGTERM) ends it with exit code 0.
/// </summary>
internal static class WatchCommand
{
    /// <summary>How long to sleep without a change before refreshing the rate (it decays while nothing happens).</summary>
    private static readonly TimeSpan s_idleRefresh = TimeSpan.FromSeconds(1);

    /// <summary>How long a read may wait for writers to leave the data alone.</summary>
    private static readonly TimeSpan s_readTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The live view redraws at most 25 times a second; --json-lines reports every change it sees.</summary>
    private static readonly TimeSpan s_frameInterval = TimeSpan.FromMilliseconds(40);

    private static readonly JsonWriterOptions s_jsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static Command Build()
    {
        Argument<string> target = CommonArguments.Name("The segment to watch: a segment of ours (a plain .npy has no version or notifications).");
        var jsonLines = new Option<bool>("--json-lines")
        {
            Description = "Print one JSON object per update on its own line (snake_case keys) instead of the live view.",
        };
        var count = new Option<int?>("--count")
        {
            Description = "Exit 0 after this many changes (the first line, the state when watching starts, is not one).",
            HelpName = "N",
            CustomParser = static result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 0)
                {
                    return n;
                }
                result.AddError($"--count: '{text}' is not a non-negative integer.");
                return null;
            },
        };
        var command = new Command("watch",
            "Watch a segment live: version, updates per second, count, mean, std, min and max, refreshed on every change without polling " +
            "(the process sleeps on the segment's change notification). A publisher's segment shows its newest frame. Read-only. Ctrl+C exits.")
        {
            target, jsonLines, count,
        };
        command.SetGuardedAction(parseResult =>
        {
            string name = parseResult.GetRequiredValue(target);
            var open = new SharedArrayOpenOptions { ReadOnly = true, Directory = parseResult.GetDirectory() };
            using var stop = new CancellationTokenSource();
            using var signals = new StopSignals(stop);
            using var source = Source.Open(name, open);
            bool asJson = parseResult.GetValue(jsonLines);
            int? limit = parseResult.GetValue(count);
            if (asJson || Console.IsOutputRedirected)
            {
                RunLines(source, asJson, limit, stop.Token);
            }
            else
            {
                RunLive(source, limit, stop.Token);
            }
            return CommandRunner.Success;
        });
        HelpExamples.Add(command,
            "sharr watch frames",
            "sharr watch frames --json-lines --count 10",
            "sharr --dir /mnt/huge watch frames");
        return command;
    }

    /// <summary>One observed state of the segment.</summary>
    private sealed record Update(long Version, long? Frame, double Rate, WatchStatistics? Stats, string? Problem);

    /// <summary>Where the states come from: an ordinary segment (seqlock) or a publisher's (newest frame).</summary>
    private sealed class Source : IDisposable
    {
        private readonly SharedArray _array;
        private readonly SharedSubscriber? _subscriber;
        private readonly Queue<(long Ticks, long Version)> _window = new();

        private Source(SharedArray array, SharedSubscriber? subscriber)
        {
            _array = array;
            _subscriber = subscriber;
        }

        internal string Name => _array.Name;

        internal string Description => _subscriber is { } s
            ? $"{_array.DType.Name()} frames {Formatting.Shape(s.FrameShape)} in {s.SlotCount} slots (publisher)"
            : $"{_array.DType.Name()} {Formatting.Shape(_array.Shape)}";

        internal long Version => _array.Version;

        internal static Source Open(string name, SharedArrayOpenOptions options)
        {
            SharedArray array = SharedArray.Open(name, options);
            try
            {
                if (array.Format != SegmentFormat.SharedArray)
                {
                    throw new CliException($"'{name}' is a plain .npy file: it has no version counter or change notification to watch.");
                }
                return new Source(array, array.IsPublisher ? SharedSubscriber.Open(name, options) : null);
            }
            catch
            {
                array.Dispose();
                throw;
            }
        }

        internal long WaitForChange(long lastSeen, TimeSpan timeout, CancellationToken cancellationToken) =>
            _array.WaitForChange(lastSeen, timeout, cancellationToken);

        /// <summary>The statistics of one consistent state (or the newest frame), and the updates per second over the last few seconds.</summary>
        internal Update Read(long version, CancellationToken cancellationToken)
        {
            double rate = Rate(version);
            try
            {
                if (_subscriber is { } subscriber)
                {
                    if (version == 0)
                    {
                        return new Update(0, 0, rate, null, "no frame published yet");
                    }
                    (WatchStatistics stats, long frame) = subscriber.ReadLatest((a, f) => (WatchStatistics.Compute(a), f), s_readTimeout, cancellationToken);
                    return new Update(frame * 2, frame, rate, stats, null);
                }
                (WatchStatistics s, long v) = _array.ReadConsistent((a, v) => (WatchStatistics.Compute(a), v), s_readTimeout, cancellationToken);
                return new Update(v, null, rate, s, null);
            }
            catch (WriterDiedException e)
            {
                return new Update(version, null, rate, null, e.Message);
            }
            catch (TimeoutException e)
            {
                return new Update(version, null, rate, null, e.Message);
            }
        }

        /// <summary>Completed writes per second over a sliding window: every write adds 2 to the version.</summary>
        internal double Rate(long version)
        {
            long now = Stopwatch.GetTimestamp();
            _window.Enqueue((now, version));
            while (_window.Count > 1 && now - _window.Peek().Ticks > 3 * Stopwatch.Frequency)
            {
                _window.Dequeue();
            }
            (long firstTicks, long firstVersion) = _window.Peek();
            double seconds = (now - firstTicks) / (double)Stopwatch.Frequency;
            return seconds < 0.05 ? 0 : (version - firstVersion) / 2 / seconds;
        }

        public void Dispose()
        {
            _subscriber?.Dispose();
            _array.Dispose();
        }
    }

    /// <summary>Ctrl+C and SIGTERM stop the watch (exit 0) instead of killing it.</summary>
    private sealed class StopSignals : IDisposable
    {
        private readonly PosixSignalRegistration[] _registrations;

        internal StopSignals(CancellationTokenSource stop)
        {
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
            _registrations =
            [
                PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
                PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            ];
        }

        public void Dispose()
        {
            foreach (PosixSignalRegistration registration in _registrations)
            {
                registration.Dispose();
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="show"/> with the state when watching starts, then after each change, until
    /// <paramref name="limit"/> changes or cancellation; while nothing changes, every second with the rate
    /// alone (idle = true), so that it decays.
    /// </summary>
    private static void Loop(Source source, int? limit, TimeSpan minInterval, CancellationToken cancellationToken, Action<Update, bool> show)
    {
        try
        {
            long seen = source.Version & ~1L;
            show(source.Read(seen, cancellationToken), false);
            int changes = 0;
            string? problem = null;
            while (limit is null || changes < limit)
            {
                // A screen need not redraw a thousand times a second: the next read shows the newest state
                // anyway, and the rate comes from the version, which counts every write.
                if (minInterval > TimeSpan.Zero && cancellationToken.WaitHandle.WaitOne(minInterval))
                {
                    break;
                }
                long version;
                try
                {
                    version = source.WaitForChange(seen, s_idleRefresh, cancellationToken);
                }
                catch (WriterDiedException e)
                {
                    // Nothing completes while a dead writer's write stands: say so once, and watch for the repair.
                    if (e.Message != problem)
                    {
                        problem = e.Message;
                        show(new Update(source.Version, null, source.Rate(seen), null, e.Message), false);
                    }
                    cancellationToken.WaitHandle.WaitOne(100);
                    cancellationToken.ThrowIfCancellationRequested();
                    continue;
                }
                problem = null;
                if (version == seen)
                {
                    show(new Update(seen, null, source.Rate(seen), null, null), true);
                    continue;
                }
                changes++;
                Update update = source.Read(version, cancellationToken);
                // The read may have seen a later state than the one that woke us: wait for changes after that.
                seen = update.Problem is null ? Math.Max(version, update.Version) : version;
                show(update, false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: a clean stop.
        }
    }

    private static void RunLines(Source source, bool asJson, int? limit, CancellationToken cancellationToken)
    {
        Loop(source, limit, TimeSpan.Zero, cancellationToken, (update, idle) =>
        {
            if (idle)
            {
                return; // lines are for changes
            }
            if (asJson)
            {
                WriteJsonLine(source, update);
            }
            else
            {
                Console.Out.WriteLine(string.Join("  ", Rows(source, update).Select(r => $"{r.Key}={r.Value}")));
                Console.Out.Flush();
            }
        });
    }

    private static void WriteJsonLine(Source source, Update update)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_jsonOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("name", source.Name);
            writer.WriteNumber("version", update.Version);
            if (update.Frame is { } frame)
            {
                writer.WriteNumber("frame", frame);
            }
            writer.WriteNumber("updates_per_second", Math.Round(update.Rate, 3));
            if (update.Stats is { } s)
            {
                writer.WriteNumber("count", s.Count);
                writer.WriteDouble("mean", s.Mean);
                writer.WriteDouble("std", s.Std);
                writer.WriteDouble("min", s.Min);
                writer.WriteDouble("max", s.Max);
            }
            if (update.Problem is { } problem)
            {
                writer.WriteString("problem", problem);
            }
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        using Stream stdout = Console.OpenStandardOutput();
        stdout.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        stdout.Flush();
    }

    private static void RunLive(Source source, int? limit, CancellationToken cancellationToken)
    {
        Update? last = null;
        var table = Tables.KeyValues(Rows(source, null));
        Terminal.Out.Live(table).AutoClear(false).Start(context =>
        {
            Loop(source, limit, s_frameInterval, cancellationToken, (update, idle) =>
            {
                // An idle refresh only updates the rate; the statistics stay those of the last change.
                last = idle && last is not null ? last with { Rate = update.Rate } : update;
                context.UpdateTarget(Tables.KeyValues(Rows(source, last)));
                context.Refresh();
            });
        });
        // Spectre's live display restores the cursor when Start returns, also after Ctrl+C.
    }

    private static List<(string Key, string Value)> Rows(Source source, Update? update)
    {
        var rows = new List<(string, string)>
        {
            ("name", source.Name),
            ("array", source.Description),
            ("version", update is null ? "-" : Formatting.Number(update.Version) + (update.Frame is { } f ? $" (frame {Formatting.Count(f)})" : "")),
            ("updates/s", update is null ? "-" : update.Rate.ToString("0.0", CultureInfo.InvariantCulture)),
        };
        WatchStatistics? s = update?.Stats;
        rows.Add(("count", s is { } c ? Formatting.Count(c.Count) : "-"));
        rows.Add(("mean", s is { } m ? Formatting.Number(m.Mean) : "-"));
        rows.Add(("std", s?.Std is { } std ? Formatting.Number(std) : "-"));
        rows.Add(("min", s?.Min is { } min ? Formatting.Number(min) : "-"));
        rows.Add(("max", s?.Max is { } max ? Formatting.Number(max) : "-"));
        if (update?.Problem is { } problem)
        {
            rows.Add(("problem", problem));
        }
        if (!Console.IsOutputRedirected)
        {
            rows.Add(("", "Ctrl+C to stop"));
        }
        return rows;
    }
}
