using SharedArrays.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(ShmLeakCheck))]

namespace SharedArrays.Tests.Infrastructure;

/// <summary>
/// Snapshots /dev/shm before the first test and fails the run loudly if anything new is left when the
/// last test ends: every test, benchmark and demo must leave it as it found it.
/// </summary>
public sealed class ShmLeakCheck : IDisposable
{
    private readonly HashSet<string> _before = Snapshot();

    internal static HashSet<string> Snapshot() =>
        Directory.Exists("/dev/shm")
            ? new HashSet<string>(Directory.EnumerateFileSystemEntries("/dev/shm"), StringComparer.Ordinal)
            : [];

    public void Dispose()
    {
        string[] leaked = Snapshot().Where(p => !_before.Contains(p)).Order(StringComparer.Ordinal).ToArray();
        if (leaked.Length > 0)
        {
            string message = $"LEAK: the test run left {leaked.Length} new object(s) in /dev/shm: {string.Join(", ", leaked)}";
            Console.Error.WriteLine(message);
            throw new InvalidOperationException(message);
        }
    }
}
