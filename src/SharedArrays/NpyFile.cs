using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharedArrays.Format;

namespace SharedArrays;

/// <summary>
/// Copies arrays between shared memory and ordinary .npy files on disk, in the format of
/// <c>numpy.save</c> and <c>numpy.load</c>.
/// </summary>
/// <remarks>
/// A segment already is a valid .npy image, but it lives in memory and carries a control block;
/// these methods make a plain, compact file of it (for archiving or sending elsewhere) and bring such
/// a file back into a named segment.
/// </remarks>
public static class NpyFile
{
    /// <summary>Bytes handed to the file per write: large enough to stream, small enough for any element type's span.</summary>
    private const int ChunkBytes = 16 << 20;

    /// <summary>
    /// Writes the elements of <paramref name="array"/> (a whole array or any view) to a new .npy file that
    /// NumPy loads: a version 1.0 header with the data aligned to 64 bytes, then the elements in C order.
    /// Fails if the file exists.
    /// </summary>
    /// <param name="array">The array or view to save; it may be read-only.</param>
    /// <param name="path">The file to create.</param>
    /// <exception cref="IOException">The file exists, or the disk is full (the partial file is deleted).</exception>
    public static void Save(SharedArray array, string path) => Save(array, path, overwrite: false);

    /// <summary>
    /// Writes the elements of <paramref name="array"/> (a whole array or any view) to a .npy file that NumPy
    /// loads: a version 1.0 header with the data aligned to 64 bytes, then the elements in C order.
    /// </summary>
    /// <param name="array">The array or view to save; it may be read-only.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="overwrite">Replace an existing file (atomically, by renaming a new file over it; a symbolic link at
    /// <paramref name="path"/> is replaced, not followed); when false an existing file is an <see cref="IOException"/>.</param>
    /// <exception cref="IOException">The file exists and <paramref name="overwrite"/> is false, or the disk is full
    /// (the partial file is deleted).</exception>
    public static void Save(SharedArray array, string path, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(array);
        ArgumentException.ThrowIfNullOrEmpty(path);

        // The smallest 64-aligned header, as numpy.save would write it give or take 64 bytes of padding.
        int dataOffset = NpyHeader.MinimumDataOffset(array.DType, array.Shape);
        byte[] header = new byte[dataOffset];
        NpyHeader.Write(header, array.DType, array.Shape, dataOffset);

        // Overwriting writes a new file beside the target and renames it over: readers see the old file
        // or the whole new one, and a symlink planted at the target is replaced, never written through.
        string target = System.IO.Path.GetFullPath(path);
        string file = overwrite
            ? System.IO.Path.Combine(System.IO.Path.GetDirectoryName(target)!, $".{System.IO.Path.GetFileName(target)}.{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}.tmp")
            : target;
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew, // O_EXCL: never follows a symlink, never truncates someone's file
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 1 << 20,
            // Reserves the blocks up front, so a full disk fails here rather than half-way through.
            PreallocationSize = dataOffset + array.ByteLength,
        };
        var stream = new FileStream(file, options); // throws if it exists: then nothing here is ours to delete
        try
        {
            using (stream)
            {
                stream.Write(header);
                WriteElements(array, stream);
                stream.Flush();
            }
            if (overwrite)
            {
                File.Move(file, target, overwrite: true);
            }
        }
        catch
        {
            // The file is ours (CreateNew): a truncated .npy helps nobody.
            File.Delete(file);
            throw;
        }
    }

    /// <summary>
    /// Creates a segment holding a copy of a .npy file (or of a segment file) on disk, with the same
    /// element type and shape. The copy is made before the name is published, so no process ever sees a
    /// partial array, and an interrupted load leaves no name behind. A Fortran-order file becomes an
    /// ordinary C-order array with the same elements at the same indices.
    /// </summary>
    /// <param name="path">The .npy file; a relative path is taken from the current directory.</param>
    /// <param name="name">The segment name, or null for a generated one.</param>
    /// <param name="options">Persistence and directory; null for the defaults (removed when disposed).</param>
    /// <returns>The new array: a <see cref="SharedArray{T}"/> of the file's element type.</returns>
    /// <exception cref="SegmentNotFoundException">No such file.</exception>
    /// <exception cref="InvalidSegmentException">Not a .npy file, or a malformed one.</exception>
    /// <exception cref="SegmentExistsException">The name is taken.</exception>
    /// <exception cref="InsufficientSharedMemoryException">The shared-memory directory lacks room.</exception>
    public static SharedArray Load(string path, string? name, SharedArrayCreateOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);

        // SharedArray.Open takes a string with a '/' as a path; a full path always has one.
        using SharedArray source = SharedArray.Open(System.IO.Path.GetFullPath(path), new SharedArrayOpenOptions { ReadOnly = true });
        return source.DType switch
        {
            DType.Bool => CopyToNew<bool>(source, name, options),
            DType.Int8 => CopyToNew<sbyte>(source, name, options),
            DType.UInt8 => CopyToNew<byte>(source, name, options),
            DType.Int16 => CopyToNew<short>(source, name, options),
            DType.UInt16 => CopyToNew<ushort>(source, name, options),
            DType.Int32 => CopyToNew<int>(source, name, options),
            DType.UInt32 => CopyToNew<uint>(source, name, options),
            DType.Int64 => CopyToNew<long>(source, name, options),
            DType.UInt64 => CopyToNew<ulong>(source, name, options),
            DType.Float16 => CopyToNew<Half>(source, name, options),
            DType.Float32 => CopyToNew<float>(source, name, options),
            DType.Float64 => CopyToNew<double>(source, name, options),
            DType.Complex64 => CopyToNew<Complex64>(source, name, options),
            DType.Complex128 => CopyToNew<System.Numerics.Complex>(source, name, options),
            _ => throw new NotSupportedException($"Cannot load {source.DType}."),
        };
    }

    private static void WriteElements(SharedArray array, Stream stream)
    {
        switch (array.DType)
        {
            case DType.Bool: WriteElements<bool>(array, stream); break;
            case DType.Int8: WriteElements<sbyte>(array, stream); break;
            case DType.UInt8: WriteElements<byte>(array, stream); break;
            case DType.Int16: WriteElements<short>(array, stream); break;
            case DType.UInt16: WriteElements<ushort>(array, stream); break;
            case DType.Int32: WriteElements<int>(array, stream); break;
            case DType.UInt32: WriteElements<uint>(array, stream); break;
            case DType.Int64: WriteElements<long>(array, stream); break;
            case DType.UInt64: WriteElements<ulong>(array, stream); break;
            case DType.Float16: WriteElements<Half>(array, stream); break;
            case DType.Float32: WriteElements<float>(array, stream); break;
            case DType.Float64: WriteElements<double>(array, stream); break;
            case DType.Complex64: WriteElements<Complex64>(array, stream); break;
            case DType.Complex128: WriteElements<System.Numerics.Complex>(array, stream); break;
            default: throw new NotSupportedException($"Cannot save {array.DType}.");
        }
    }

    private static void WriteElements<T>(SharedArray array, Stream stream) where T : unmanaged
    {
        using SharedArray<T> typed = array.As<T>();
        // The chunks walk any view in C order; capping them keeps each byte span below 2^31.
        foreach (ReadOnlySpan<T> chunk in typed.GetReadOnlyChunks(ChunkBytes / Unsafe.SizeOf<T>()))
        {
            stream.Write(MemoryMarshal.AsBytes(chunk));
        }
    }

    private static unsafe SharedArray<T> CopyToNew<T>(SharedArray source, string? name, SharedArrayCreateOptions? options) where T : unmanaged
    {
        using SharedArray<T> typed = source.As<T>();
        Segment segment = SharedArray.CreateSegment(name, typed.DType, typed.Shape, options, created =>
        {
            // Runs on the new segment's data before it gets its name: C order, whatever the source's strides.
            T* destination = (T*)created.Data;
            foreach (ReadOnlySpan<T> chunk in typed.GetReadOnlyChunks())
            {
                chunk.CopyTo(new Span<T>(destination, chunk.Length));
                destination += chunk.Length;
            }
        });
        return new SharedArray<T>(segment, segment.Layout.Shape, SharedArray.CStrides(segment.Layout.Shape), 0, isRoot: true);
    }
}
