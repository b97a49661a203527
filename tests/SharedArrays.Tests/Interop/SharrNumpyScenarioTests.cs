using System.Text.Json;
using SharedArrays.Tests.Infrastructure;

namespace SharedArrays.Tests.Interop;

/// <summary>
/// The by-hand check, end to end with the real tools: sharr creates, numpy sums and writes,
/// sharr reports the write, sharr removes.
/// </summary>
[Collection(nameof(InteropCollection))]
public class SharrNumpyScenarioTests
{
    [Fact]
    public void Sharr_create_numpy_write_sharr_stats_sharr_rm()
    {
        Python.RequireNumpy();
        string name = Names.Unique("a1");
        try
        {
            var created = Processes.RunSharr("create", name, "--dtype", "float64", "--shape", "1000,1000", "--fill", "1.5");
            Assert.True(created.ExitCode == 0, created.StdErr);
            Assert.StartsWith("sharr1:" + name + ":", created.StdOut.Trim(), StringComparison.Ordinal);

            var numpy = Python.Peer(new { op = "sum", path = "/dev/shm/" + name, set = new object[] { new[] { 3, 4 }, 7 } });
            Assert.Equal(1500000.0, numpy.GetProperty("sum_before").GetDouble());

            var stats = Processes.RunSharr("stats", name, "--json");
            Assert.True(stats.ExitCode == 0, stats.StdErr);
            JsonElement json = JsonDocument.Parse(stats.StdOut).RootElement;
            Assert.Equal(7.0, json.GetProperty("max").GetDouble());
            Assert.Equal(1500005.5, json.GetProperty("sum").GetDouble());
            Assert.Equal(1_000_000, json.GetProperty("count").GetInt64());

            var removed = Processes.RunSharr("rm", name);
            Assert.True(removed.ExitCode == 0, removed.StdErr);
            Assert.False(File.Exists("/dev/shm/" + name));
        }
        finally
        {
            Names.Cleanup(name);
        }
    }
}
