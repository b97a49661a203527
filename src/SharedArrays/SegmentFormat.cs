namespace SharedArrays;

/// <summary>What a file or shared-memory object holds.</summary>
public enum SegmentFormat
{
    /// <summary>A SharedArrays segment: a .npy image followed by our control block.</summary>
    SharedArray = 1,

    /// <summary>A plain .npy file (for example written by numpy): no control-block features.</summary>
    Npy = 2,
}
