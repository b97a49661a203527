using SharedArrays.Tests.CrossProcess;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Sync;

/// <summary>The single-writer publisher and its subscribers.</summary>
[Collection(nameof(CrossProcessCollection))]
public class PublisherTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Subscribers_read_the_newest_frame_by_copy_and_in_place()
    {
        using var dir = new PrivateDirectory("pub");
        var options = new SharedArrayCreateOptions { Directory = dir.Path };
        using var publisher = SharedPublisher<float>.Create("frames", [2, 3], slots: 3, options);
        using var subscriber = SharedSubscriber<float>.Open("frames", new SharedArrayOpenOptions { Directory = dir.Path, ReadOnly = true });
        Assert.Equal([2L, 3L], subscriber.FrameShape.ToArray());
        Assert.Equal(6, subscriber.FrameLength);
        Assert.Equal(3, subscriber.SlotCount);
        Assert.Equal(0, subscriber.LatestFrame);

        var frame = new float[6];
        Assert.False(subscriber.TryReadLatest(frame, out long none));
        Assert.Equal(0, none);
        Assert.Throws<TimeoutException>(() => subscriber.ReadLatest(frame, TimeSpan.FromMilliseconds(50), Ct));

        for (int f = 1; f <= 10; f++)
        {
            float value = f;
            Assert.Equal(f, f % 2 == 0
                ? publisher.Publish(slot => slot.Fill(value))
                : publisher.Publish([value, value, value, value, value, value]));
            Assert.True(subscriber.TryReadLatest(frame, out long got));
            Assert.Equal(f, got);
            Assert.All(frame, x => Assert.Equal(value, x));
            Assert.Equal(6 * value, subscriber.ReadLatest((a, n) => a.AsReadOnlySpan().ToArray().Sum(), Generous, Ct));
        }
        Assert.Equal(10, publisher.FrameNumber);
        Assert.Equal(10, subscriber.LatestFrame);
        Assert.Equal(20, subscriber.ReadLatest((SharedArray a, long n) => n * 2, Generous, Ct));

        // Untyped, as tools open it.
        using var untyped = SharedSubscriber.Open("frames", new SharedArrayOpenOptions { Directory = dir.Path, ReadOnly = true });
        Assert.Equal(DType.Float32, untyped.DType);
        Assert.Equal(60.0, untyped.ReadLatest((a, _) => ArrayStatistics.Compute(a).Sum, Generous, Ct));
        using var whole = SharedArray.Open("frames", new SharedArrayOpenOptions { Directory = dir.Path });
        Assert.True(whole.IsPublisher);
        Assert.Equal([3L, 2L, 3L], whole.Shape.ToArray());
        Assert.Throws<InvalidOperationException>(() => whole.BeginWrite(Ct));
        Assert.Throws<InvalidOperationException>(() => whole.ReadConsistent((a, v) => v, Generous, Ct));
    }

    [Fact]
    public async Task WaitForFrame_wakes_on_a_publish_and_times_out_without_one()
    {
        using var dir = new PrivateDirectory("pubw");
        using var publisher = SharedPublisher<long>.Create("frames", [4], options: new SharedArrayCreateOptions { Directory = dir.Path });
        using var subscriber = SharedSubscriber<long>.Open("frames", new SharedArrayOpenOptions { Directory = dir.Path, ReadOnly = true });
        Assert.Equal(0, subscriber.WaitForFrame(0, TimeSpan.FromMilliseconds(50), Ct));
        var waiter = Task.Run(() => subscriber.WaitForFrame(0, Generous, Ct), Ct);
        Thread.Sleep(30);
        publisher.Publish([1, 2, 3, 4]);
        Assert.Equal(1, await waiter.WaitAsync(Generous, Ct));
        publisher.Publish([1, 2, 3, 4]);
        publisher.Publish([1, 2, 3, 4]);
        Assert.Equal(3, subscriber.WaitForFrame(1, Generous, Ct));
    }

    [Fact]
    public void Another_process_takes_over_a_publisher_only_when_its_writer_is_gone()
    {
        using var dir = new PrivateDirectory("pubo");
        var open = new SharedArrayOpenOptions { Directory = dir.Path };
        using (var child = Processes.StartChild(dir.Environment, "sync-pub-writer", "frames", "16"))
        {
            Processes.WaitForLine(child, "ready");
            Assert.Throws<InvalidOperationException>(() => SharedPublisher<ulong>.Open("frames", open));
            using var subscriber = SharedSubscriber<ulong>.Open("frames", open with { ReadOnly = true });
            long seen = subscriber.WaitForFrame(0, Generous, Ct);
            Assert.True(seen > 0);

            child.Kill(); // SIGKILL, perhaps in the middle of a frame; its name stays behind (an orphan)
            Assert.True(child.WaitForExit(10_000));
            long latest = subscriber.LatestFrame;
            Assert.Throws<WriterDiedException>(() => subscriber.WaitForFrame(latest, Generous, Ct));
            var frame = new ulong[16];
            Assert.Equal(latest, subscriber.ReadLatest(frame, Generous, Ct)); // the last complete frame is intact

            using var takeover = SharedPublisher<ulong>.Open("frames", open);
            Assert.Equal(latest, takeover.FrameNumber);
            Assert.Equal(latest + 1, takeover.Publish(frame));
            Assert.Equal(latest + 1, subscriber.WaitForFrame(latest, Generous, Ct));
        }
    }

    [Fact]
    public void Publishers_refuse_bad_shapes_and_subscribers_refuse_ordinary_arrays()
    {
        using var dir = new PrivateDirectory("pubx");
        var options = new SharedArrayCreateOptions { Directory = dir.Path };
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedPublisher<int>.Create("p", [4], slots: 1, options));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedPublisher<int>.Create("p", [4], slots: 17, options));
        using var plain = SharedArray<int>.Create("plain", [4], options);
        Assert.Throws<SharedArrayException>(() => SharedSubscriber<int>.Open("plain", new SharedArrayOpenOptions { Directory = dir.Path }));
        using var publisher = SharedPublisher<int>.Create("p", [4], options: options);
        Assert.Throws<ArgumentException>(() => publisher.Publish([1, 2, 3]));
        Assert.Throws<ElementTypeMismatchException>(() => SharedSubscriber<long>.Open("p", new SharedArrayOpenOptions { Directory = dir.Path }));

        // The slot count is a shared-memory word outside the checksum: one that disagrees with the shape
        // would put slot views past the mapping, so it is refused.
        using (var file = new FileStream(Path.Combine(dir.Path, "p"), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length - 4096 + 768; // control block + PublisherSlots (docs/format.md 4.3)
            file.Write(BitConverter.GetBytes(60u));
        }
        var e = Assert.Throws<InvalidSegmentException>(() => SharedSubscriber<int>.Open("p", new SharedArrayOpenOptions { Directory = dir.Path }));
        Assert.Contains("60 publisher slots", e.Message, StringComparison.Ordinal);
    }
}
