namespace SharedArrays.Tests.Infrastructure;

internal static class Names
{
    /// <summary>A name no other test (or test run) uses: "t-" + prefix + 12 random hex digits.</summary>
    internal static string Unique(string prefix) => $"t-{prefix}-{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 15)];

    /// <summary>Removes a name if a test left it (for example after a deliberate kill -9).</summary>
    internal static void Cleanup(string name)
    {
        string path = Path.Combine("/dev/shm", name);
        if (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            if (Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
            {
                Directory.Delete(path, recursive: true);
            }
            else
            {
                File.Delete(path);
            }
        }
    }
}
