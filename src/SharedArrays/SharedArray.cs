using System.Security.Cryptography;
using SharedArrays.Format;
using SharedArrays.Lifecycle;

namespace SharedArrays;

/// <summary>
/// An n-dimensional array in shared memory, of any element type, or a view of one. Every process that
/// opens the same segment sees the same bytes; nothing is copied. Use <see cref="As{T}"/> (or
/// <see cref="SharedArray{T}"/> directly) for typed access.
/// </summary>
/// <remarks>
/// The process that creates a segment owns its name and removes it when the array is disposed, or at
/// exit (normal, unhandled exception, SIGINT, SIGTERM, SIGHUP, SIGQUIT), unless it was created
/// persistent. A process that merely opened a segment never removes it. Spans and tensor spans taken
/// from an array are valid only until it (and every view of its segment) is disposed.
/// </remarks>
public unsafe partial class SharedArray : IDisposable
{
    private readonly bool _isRoot;
    private int _disposed;
    private protected readonly long[] _shape;
    private protected readonly long[] _strides;

    private protected SharedArray(Segment segment, long[] shape, long[] strides, long offset, bool isRoot)
    {
        Segment = segment;
        _shape = shape;
        _strides = strides;
        Offset = offset;
        _isRoot = isRoot;
        Length = SegmentLayout.ElementCount(shape);
        IsContiguous = ComputeIsContiguous(shape, strides);
    }

    internal Segment Segment { get; }

    internal long[] ShapeArray => _shape;

    internal long[] StridesArray => _strides;

    /// <summary>The segment name, or the file path of a .npy opened by path.</summary>
    public string Name => Segment.Name;

    /// <summary>The full path of the shared-memory object or file.</summary>
    public string Path => Segment.Path;

    /// <summary>The element type.</summary>
    public DType DType => Segment.Layout.DType;

    /// <summary>The size of one element in bytes.</summary>
    public int ItemSize => Segment.Layout.DType.ItemSize();

    /// <summary>The number of axes.</summary>
    public int Rank => _shape.Length;

    /// <summary>The length of each axis.</summary>
    public ReadOnlySpan<long> Shape => _shape;

    /// <summary>The distance between neighbours along each axis, in elements (numpy's strides are in bytes).</summary>
    public ReadOnlySpan<long> Strides => _strides;

    /// <summary>The position of this view's first element, in elements from the start of the segment's data.</summary>
    public long Offset { get; }

    /// <summary>The number of elements (the product of <see cref="Shape"/>; 1 for rank 0).</summary>
    public long Length { get; }

    /// <summary>The bytes the elements of this array or view occupy.</summary>
    public long ByteLength => Length * ItemSize;

    /// <summary>True when the elements lie in one run, in C order, with no gaps.</summary>
    public bool IsContiguous { get; }

    /// <summary>True when the array was opened read-only (mapped <c>PROT_READ</c>).</summary>
    public bool IsReadOnly => !Segment.Writable;

    /// <summary>True when this process created the segment and removes its name when done.</summary>
    public bool IsOwner => Segment.OwnsName;

    /// <summary>True when the segment survives its creator.</summary>
    public bool IsPersistent => Segment.Layout.Persistent;

    /// <summary>True when this is a view (a slice) rather than the whole array.</summary>
    public bool IsView => Offset != 0 || !Shape.SequenceEqual(Segment.Layout.Shape);

    /// <summary>Ours, with a control block, or a plain .npy file.</summary>
    public SegmentFormat Format => Segment.Layout.HasControlBlock ? SegmentFormat.SharedArray : SegmentFormat.Npy;

    /// <summary>The segment's 128-bit generation; <see cref="Guid.Empty"/> for a plain .npy.</summary>
    public Guid Generation => Segment.Layout.Generation;

    /// <summary>A handle that reopens exactly this array or view in another process.</summary>
    public SharedArrayHandle Handle => new(Name, Generation, DType, _shape, Offset, _strides);

    /// <summary>Where the element data starts inside the mapping (for diagnostics and interop).</summary>
    public long DataOffset => Segment.Layout.DataOffset;

    /// <summary>A typed view of the same memory. The element type must match the segment's.</summary>
    /// <exception cref="ElementTypeMismatchException">The segment holds another element type.</exception>
    public SharedArray<T> As<T>() where T : unmanaged
    {
        ThrowIfDisposed();
        DType wanted = DTypes.Of<T>();
        if (wanted != DType)
        {
            throw new ElementTypeMismatchException(
                $"'{Name}' holds {DType.Name()} ('{DType.Descr()}'), not {wanted.Name()} ({typeof(T).Name}).", Name);
        }
        Segment.AddRef();
        return new SharedArray<T>(Segment, _shape, _strides, Offset, isRoot: false);
    }

    /// <summary>Creates a zero-filled array of <paramref name="dtype"/> elements.</summary>
    /// <param name="name">The segment name, or null for a generated one (see <see cref="GenerateName"/>).</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The length of each axis (at most 32 axes).</param>
    /// <param name="options">Persistence and directory; null for the defaults.</param>
    /// <exception cref="SegmentExistsException">The name is taken.</exception>
    /// <exception cref="InsufficientSharedMemoryException">The tmpfs lacks room; nothing is left behind.</exception>
    public static SharedArray Create(string? name, DType dtype, ReadOnlySpan<long> shape, SharedArrayCreateOptions? options = null)
    {
        if (!Enum.IsDefined(dtype))
        {
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown element type.");
        }
        Segment segment = CreateSegment(name, dtype, shape, options, initialize: null);
        return new SharedArray(segment, segment.Layout.Shape, CStrides(segment.Layout.Shape), 0, isRoot: true);
    }

    /// <summary>Opens a named segment, or a .npy file when <paramref name="nameOrPath"/> contains '/'.</summary>
    /// <exception cref="SegmentNotFoundException">No such segment or file.</exception>
    /// <exception cref="InvalidSegmentException">Not a regular file, a symbolic link, or malformed.</exception>
    /// <exception cref="SegmentAccessDeniedException">Another user's, or open to group/other.</exception>
    public static SharedArray Open(string nameOrPath, SharedArrayOpenOptions? options = null)
    {
        Segment segment = OpenSegment(nameOrPath, options);
        return new SharedArray(segment, segment.Layout.Shape, RootStrides(segment.Layout), 0, isRoot: true);
    }

    /// <summary>Opens the array or view a handle describes (possibly in another process).</summary>
    /// <exception cref="StaleHandleException">The name now refers to a different segment.</exception>
    public static SharedArray Open(SharedArrayHandle handle, SharedArrayOpenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handle);
        Segment segment = OpenSegment(handle.Name, options);
        try
        {
            ValidateHandle(segment, handle);
            return new SharedArray(segment, handle.Shape.ToArray(), handle.Strides.ToArray(), handle.Offset, isRoot: true);
        }
        catch
        {
            segment.Release();
            throw;
        }
    }

    /// <summary>Describes a segment or .npy file without keeping it open or checking its owner and mode.</summary>
    public static SegmentInfo Inspect(string nameOrPath, string? directory = null)
    {
        Segment segment = OpenSegment(nameOrPath, new SharedArrayOpenOptions { ReadOnly = true, Directory = directory, AllowGroupOrOtherAccess = true }, inspecting: true);
        try
        {
            return Describe(segment);
        }
        finally
        {
            segment.Release();
        }
    }

    /// <summary>
    /// Every segment of ours and every .npy in the directory (default <c>SHARR_DIR</c> or <c>/dev/shm</c>);
    /// other files are skipped.
    /// </summary>
    public static IReadOnlyList<SegmentInfo> List(string? directory = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw ThrowHelper.NotLinux();
        }
        SegmentDirectory dir = SegmentDirectory.Resolve(directory);
        var result = new List<SegmentInfo>();
        foreach (string path in System.IO.Directory.EnumerateFileSystemEntries(dir.Path))
        {
            string name = System.IO.Path.GetFileName(path);
            if (!SegmentDirectory.IsValidName(name))
            {
                continue;
            }
            try
            {
                result.Add(Inspect(name, dir.Path));
            }
            catch (SharedArrayException)
            {
                // Not ours, not a .npy, gone in the meantime, or not readable: not listed.
            }
        }
        result.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    /// <summary>
    /// Removes a segment's name (the memory goes when the last process unmaps it). Refuses anything that
    /// is not a segment of ours or a .npy. Returns false if no such name exists.
    /// </summary>
    public static bool Remove(string name, string? directory = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw ThrowHelper.NotLinux();
        }
        SegmentDirectory.ValidateName(name);
        SegmentDirectory dir = SegmentDirectory.Resolve(directory);
        Segment segment;
        try
        {
            segment = Segment.OpenNamed(dir, name, new Segment.OpenRequest(ReadOnly: true, RequireOwnership: false, AllowGroupOrOtherAccess: true, TimeSpan.FromSeconds(5)));
        }
        catch (SegmentNotFoundException)
        {
            return false;
        }
        try
        {
            return Segment.NameRefersTo(segment.Path, segment.Identity) && Segment.UnlinkIn(dir, name);
        }
        finally
        {
            segment.Release();
        }
    }

    /// <summary>
    /// Removes orphans from the directory: non-persistent segments whose creator died (judged by PID and
    /// process start time, so a reused PID does not count as alive) and that no process has mapped or is
    /// opening, and creations abandoned before they were published. A segment in use is never removed:
    /// the name goes only while this process holds the segment's exclusive lock, which no one else can
    /// hold while any process has it mapped. Persistent segments and plain .npy files are never removed.
    /// </summary>
    /// <returns>The orphans removed (or, on a dry run, that would be), by name.</returns>
    public static IReadOnlyList<OrphanSegment> CollectOrphans(OrphanCollectionOptions? options = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw ThrowHelper.NotLinux();
        }
        options ??= new OrphanCollectionOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TemporaryGracePeriod, TimeSpan.Zero, nameof(options));
        return Lifecycle.OrphanCollector.Collect(SegmentDirectory.Resolve(options.Directory), options.DryRun, options.TemporaryGracePeriod);
    }

    /// <summary>
    /// The directory a <c>directory</c> argument or option selects: itself (made absolute) if given,
    /// else the <c>SHARR_DIR</c> environment variable, else <c>/dev/shm</c>.
    /// </summary>
    public static string ResolveDirectory(string? directory = null) => SegmentDirectory.Resolve(directory).Path;

    /// <summary>
    /// A fresh name: "sharr-" and 22 characters carrying 132 random bits, 28 characters in all (macOS
    /// allows at most 31 including the slash).
    /// </summary>
    public static string GenerateName()
    {
        Span<byte> bytes = stackalloc byte[17];
        RandomNumberGenerator.Fill(bytes);
        return "sharr-" + Convert.ToBase64String(bytes)[..22].Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// Removes the name if this process created the segment (and it is not persistent), and unmaps it
    /// once no other array or view of this process uses it.
    /// </summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases this array's reference to its segment; the root of an owned segment removes the name.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_isRoot)
        {
            Segment.RemoveName();
        }
        Segment.Release();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"SharedArray<{DType.Name()}>[{string.Join(", ", _shape)}] '{Name}'{(IsView ? $" view @{Offset}" : "")}{(IsReadOnly ? " read-only" : "")}";

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    internal static Segment CreateSegment(string? name, DType dtype, ReadOnlySpan<long> shape, SharedArrayCreateOptions? options, Segment.Initializer? initialize)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw ThrowHelper.NotLinux();
        }
        if (name is not null)
        {
            SegmentDirectory.ValidateName(name);
        }
        if (shape.Length > ControlBlock.MaxRank)
        {
            throw new ArgumentException($"At most {ControlBlock.MaxRank} axes are supported; {shape.Length} were given.", nameof(shape));
        }
        foreach (long d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), $"Axis lengths must be non-negative; got [{string.Join(", ", shape.ToArray())}].");
            }
        }
        try
        {
            _ = SegmentLayout.FileLengthFor(checked(SegmentLayout.ElementCount(shape) * dtype.ItemSize()));
        }
        catch (OverflowException)
        {
            throw new ArgumentOutOfRangeException(nameof(shape), $"An array of shape [{string.Join(", ", shape.ToArray())}] of {dtype.Name()} exceeds 2^63 bytes.");
        }
        SegmentDirectory dir = SegmentDirectory.Resolve(options?.Directory);
        return Segment.Create(dir, name ?? GenerateName(), dtype, shape.ToArray(), options?.Persistent ?? false, initialize);
    }

    internal static Segment OpenSegment(string nameOrPath, SharedArrayOpenOptions? options, bool inspecting = false)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw ThrowHelper.NotLinux();
        }
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        options ??= new SharedArrayOpenOptions();
        var request = new Segment.OpenRequest(options.ReadOnly, RequireOwnership: !inspecting, options.AllowGroupOrOtherAccess, options.Timeout);
        if (nameOrPath.Contains('/', StringComparison.Ordinal))
        {
            return Segment.OpenPath(nameOrPath, request);
        }
        SegmentDirectory.ValidateName(nameOrPath);
        return Segment.OpenNamed(SegmentDirectory.Resolve(options.Directory), nameOrPath, request);
    }

    internal static void ValidateHandle(Segment segment, SharedArrayHandle handle)
    {
        SegmentLayout layout = segment.Layout;
        if (handle.Generation != layout.Generation)
        {
            throw new StaleHandleException(
                $"The handle is for generation {SharedArrayHandle.FormatGeneration(handle.Generation)} of '{handle.Name}', but that name now holds " +
                $"generation {SharedArrayHandle.FormatGeneration(layout.Generation)}: the segment was recreated.",
                handle.Name);
        }
        if (handle.DType != layout.DType)
        {
            throw new ElementTypeMismatchException($"The handle says {handle.DType.Name()} but '{handle.Name}' holds {layout.DType.Name()}.", handle.Name);
        }
        if (!ViewFits(handle.Shape, handle.Strides, handle.Offset, layout.Length))
        {
            throw new ElementTypeMismatchException(
                $"The handle's view (shape [{string.Join(", ", handle.Shape.ToArray())}], offset {handle.Offset}, strides [{string.Join(", ", handle.Strides.ToArray())}]) " +
                $"reaches outside '{handle.Name}', which has {layout.Length} elements.", handle.Name);
        }
    }

    /// <summary>Whether every element of the view lies inside an array of <paramref name="length"/> elements.</summary>
    internal static bool ViewFits(ReadOnlySpan<long> shape, ReadOnlySpan<long> strides, long offset, long length)
    {
        try
        {
            long last = offset;
            foreach (long d in shape)
            {
                if (d == 0)
                {
                    return offset <= length;
                }
            }
            for (int i = 0; i < shape.Length; i++)
            {
                last = checked(last + checked((shape[i] - 1) * strides[i]));
            }
            return offset >= 0 && last < length;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    internal static long[] CStrides(ReadOnlySpan<long> shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    private static long[] RootStrides(SegmentLayout layout)
    {
        if (!layout.FortranOrder)
        {
            return CStrides(layout.Shape);
        }
        var strides = new long[layout.Shape.Length];
        long stride = 1;
        for (int i = 0; i < strides.Length; i++)
        {
            strides[i] = stride;
            stride *= Math.Max(layout.Shape[i], 1);
        }
        return strides;
    }

    private static bool ComputeIsContiguous(long[] shape, long[] strides)
    {
        long expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 0)
            {
                return true;
            }
            if (shape[i] != 1 && strides[i] != expected)
            {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    internal static SegmentInfo Describe(Segment segment)
    {
        SegmentLayout layout = segment.Layout;
        bool ours = layout.HasControlBlock;
        return new SegmentInfo
        {
            Name = segment.Name,
            Path = segment.Path,
            Format = ours ? SegmentFormat.SharedArray : SegmentFormat.Npy,
            DType = layout.DType,
            Shape = layout.Shape.ToArray(),
            FortranOrder = layout.FortranOrder,
            Length = layout.Length,
            DataBytes = layout.DataBytes,
            DataOffset = layout.DataOffset,
            FileBytes = segment.FileLength,
            Generation = layout.Generation,
            Persistent = layout.Persistent,
            CreatorPid = ours ? layout.CreatorPid : null,
            CreatorAlive = ours ? ProcessInfo.IsAlive(layout.CreatorPid, layout.CreatorStartTime) : null,
            CreatedAt = ours ? DateTimeOffset.FromUnixTimeMilliseconds(layout.CreatedUnixMilliseconds) : null,
        };
    }

}
