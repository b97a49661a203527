using System.Runtime.CompilerServices;
using SharedArrays.Segments;

namespace SharedArrays.Lifecycle;

/// <summary>
/// A segment between its exclusive create under a temporary name and its registration as owned:
/// what an exit hook must remove if the process goes while it is being reserved, filled or linked.
/// </summary>
internal sealed class PendingSegment(SegmentDirectory directory, string temporaryName, string name, bool ownsName)
    : IDisposable
{
    private StrongBox<FileIdentity>? _identity; // a reference, so that the exit hook's thread reads it whole

    /// <summary>The object's identity, known once it is open; until then only the temporary name is ours.</summary>
    internal FileIdentity? Identity
    {
        get => Volatile.Read(ref _identity)?.Value;
        set => Volatile.Write(ref _identity, value is { } identity ? new StrongBox<FileIdentity>(identity) : null);
    }

    /// <summary>
    /// Removes the temporary name and, for a non-persistent segment, the real name too if the link
    /// already happened, which the identity tells apart from someone else's segment of that name.
    /// </summary>
    internal void Abandon()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        Segment.UnlinkIn(directory, temporaryName);
        if (ownsName && Identity is { } identity && Segment.NameRefersTo(directory.PathOf(name), identity))
        {
            Segment.UnlinkIn(directory, name);
        }
    }

    public void Dispose() => OwnedSegments.Forget(this);
}
