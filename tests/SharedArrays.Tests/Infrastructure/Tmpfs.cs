using System.Diagnostics;

namespace SharedArrays.Tests.Infrastructure;

/// <summary>
/// A real, small tmpfs mounted on a fresh directory (mode 0700), for tests that need a shared-memory
/// file system that runs out of room. Mounting needs root (CAP_SYS_ADMIN); <see cref="TryMount"/>
/// returns null and a reason when it is not possible. Dispose unmounts and removes the directory.
/// </summary>
internal sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    internal string Path { get; }

    internal string PathOf(string name) => System.IO.Path.Combine(Path, name);

    internal string[] Entries() => Directory.GetFileSystemEntries(Path).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    /// <summary>Bytes free for an unprivileged writer (statvfs f_bavail * f_frsize).</summary>
    internal long Available => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Mounts a tmpfs with the given options (e.g. "size=1m"); null, with a reason, if that is impossible.</summary>
    internal static Tmpfs? TryMount(string options, out string? reason)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), Names.Unique("tmpfs"));
        Directory.CreateDirectory(path);
        var mount = Processes.Run(Processes.Start("mount", ["-t", "tmpfs", "-o", options + ",mode=0700", "tmpfs", path]));
        if (mount.ExitCode != 0)
        {
            Directory.Delete(path);
            reason = $"Mounting a tmpfs ({options}) needs root (CAP_SYS_ADMIN), which this run lacks: {mount.StdErr.Trim()}";
            return null;
        }
        reason = null;
        return new Tmpfs(path);
    }

    /// <summary>
    /// Writes a file of zeros until the file system says ENOSPC, so that not one more page fits.
    /// Returns the bytes written.
    /// </summary>
    internal long Fill(string name = "filler")
    {
        long written = 0;
        byte[] page = new byte[4096];
        Array.Fill(page, (byte)0xAB);
        using var stream = new FileStream(PathOf(name), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        try
        {
            while (true)
            {
                stream.Write(page);
                written += page.Length;
            }
        }
        catch (IOException)
        {
            // ENOSPC: the tmpfs is full.
        }
        Assert.Equal(0, Available);
        return written;
    }

    public void Dispose()
    {
        using (Process umount = Process.Start("umount", [Path])!)
        {
            umount.WaitForExit();
            if (umount.ExitCode != 0)
            {
                // Something still has a file open: detach the mount anyway rather than leave it behind.
                using Process lazy = Process.Start("umount", ["-l", Path])!;
                lazy.WaitForExit();
            }
        }
        Directory.Delete(Path);
    }
}
