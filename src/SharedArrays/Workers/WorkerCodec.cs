using System.Runtime.CompilerServices;

namespace SharedArrays.Workers;

/// <summary>
/// Encodes the values a work function takes and returns: bool, int, long, double, string,
/// <see cref="SharedArrayHandle"/> (sent as its string form: an array travels as a handle, never as
/// bytes), and one-dimensional arrays of those. The type switch is on <c>typeof(T)</c>, which the JIT and
/// NativeAOT resolve at compile time: no reflection, nothing for the trimmer to keep.
/// </summary>
internal static class WorkerCodec<T>
{
    internal static readonly bool IsSupported = Kind != ValueKind.Unsupported;

    private static ValueKind Kind
    {
        get
        {
            if (typeof(T) == typeof(bool)) return ValueKind.Bool;
            if (typeof(T) == typeof(int)) return ValueKind.Int32;
            if (typeof(T) == typeof(long)) return ValueKind.Int64;
            if (typeof(T) == typeof(double)) return ValueKind.Double;
            if (typeof(T) == typeof(string)) return ValueKind.String;
            if (typeof(T) == typeof(SharedArrayHandle)) return ValueKind.Handle;
            if (typeof(T) == typeof(bool[])) return ValueKind.BoolArray;
            if (typeof(T) == typeof(int[])) return ValueKind.Int32Array;
            if (typeof(T) == typeof(long[])) return ValueKind.Int64Array;
            if (typeof(T) == typeof(double[])) return ValueKind.DoubleArray;
            if (typeof(T) == typeof(string[])) return ValueKind.StringArray;
            if (typeof(T) == typeof(SharedArrayHandle[])) return ValueKind.HandleArray;
            if (typeof(T) == typeof(byte[])) return ValueKind.Bytes;
            return ValueKind.Unsupported;
        }
    }

    internal static void Write(BinaryWriter writer, T value)
    {
        switch (value)
        {
            case bool b: writer.Write(b); break;
            case int i: writer.Write(i); break;
            case long l: writer.Write(l); break;
            case double d: writer.Write(d); break;
            case string s: WriteString(writer, s); break;
            case SharedArrayHandle h: WriteString(writer, h.ToString()); break;
            case bool[] a: WriteArray(writer, a, static (w, x) => w.Write(x)); break;
            case int[] a: WriteArray(writer, a, static (w, x) => w.Write(x)); break;
            case long[] a: WriteArray(writer, a, static (w, x) => w.Write(x)); break;
            case double[] a: WriteArray(writer, a, static (w, x) => w.Write(x)); break;
            case string[] a: WriteArray(writer, a, WriteString); break;
            case SharedArrayHandle[] a: WriteArray(writer, a, static (w, x) => WriteString(w, x?.ToString())); break;
            case byte[] a: writer.Write(a.Length); writer.Write(a); break;
            case null when !typeof(T).IsValueType: writer.Write(-1); break;
            default: throw Unsupported();
        }
    }

    internal static T Read(BinaryReader reader)
    {
        object? value = Kind switch
        {
            ValueKind.Bool => reader.ReadBoolean(),
            ValueKind.Int32 => reader.ReadInt32(),
            ValueKind.Int64 => reader.ReadInt64(),
            ValueKind.Double => reader.ReadDouble(),
            ValueKind.String => ReadString(reader),
            ValueKind.Handle => ReadString(reader) is { } text ? SharedArrayHandle.Parse(text) : null,
            ValueKind.BoolArray => ReadArray(reader, static r => r.ReadBoolean()),
            ValueKind.Int32Array => ReadArray(reader, static r => r.ReadInt32()),
            ValueKind.Int64Array => ReadArray(reader, static r => r.ReadInt64()),
            ValueKind.DoubleArray => ReadArray(reader, static r => r.ReadDouble()),
            ValueKind.StringArray => ReadArray(reader, ReadString),
            ValueKind.HandleArray => ReadArray(reader, static r => ReadString(r) is { } t ? SharedArrayHandle.Parse(t) : null),
            ValueKind.Bytes => reader.ReadInt32() is int n and >= 0 ? reader.ReadBytes(n) : null,
            _ => throw Unsupported(),
        };
        return (T)value!;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static NotSupportedException Unsupported() => new(
        $"{typeof(T)} cannot be passed to or from a worker process. Use bool, int, long, double, string, SharedArrayHandle " +
        "or a one-dimensional array of one of them (byte[] too); pass a shared array as its Handle.");

    private static void WriteString(BinaryWriter writer, string? value)
    {
        if (value is null)
        {
            writer.Write(-1);
            return;
        }
        writer.Write(value.Length);
        writer.Write(value.AsSpan());
    }

    private static string? ReadString(BinaryReader reader)
    {
        int length = reader.ReadInt32();
        return length < 0 ? null : new string(reader.ReadChars(length));
    }

    private static void WriteArray<TItem>(BinaryWriter writer, TItem[] items, Action<BinaryWriter, TItem> write)
    {
        writer.Write(items.Length);
        foreach (TItem item in items)
        {
            write(writer, item);
        }
    }

    private static TItem[]? ReadArray<TItem>(BinaryReader reader, Func<BinaryReader, TItem> read)
    {
        int length = reader.ReadInt32();
        if (length < 0)
        {
            return null;
        }
        var items = new TItem[length];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = read(reader);
        }
        return items;
    }

    private enum ValueKind
    {
        Unsupported, Bool, Int32, Int64, Double, String, Handle,
        BoolArray, Int32Array, Int64Array, DoubleArray, StringArray, HandleArray, Bytes,
    }
}
