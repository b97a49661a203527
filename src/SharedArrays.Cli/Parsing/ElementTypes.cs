namespace SharedArrays.Cli.Parsing;

/// <summary>Work that is generic over the element type; <see cref="ElementTypes.Dispatch"/> picks the type from a <see cref="DType"/>.</summary>
internal interface IElementTypeFunc<out TResult>
{
    TResult Invoke<T>() where T : unmanaged;
}

/// <summary>Maps each <see cref="DType"/> to its .NET element type (the same table as <see cref="DTypes.Of{T}"/>).</summary>
internal static class ElementTypes
{
    /// <summary>Calls <paramref name="func"/> with the element type of <paramref name="dtype"/>.</summary>
    /// <remarks>A struct visitor: every instantiation is known at compile time, which native AOT needs.</remarks>
    internal static TResult Dispatch<TFunc, TResult>(DType dtype, TFunc func) where TFunc : struct, IElementTypeFunc<TResult> => dtype switch
    {
        DType.Bool => func.Invoke<bool>(),
        DType.Int8 => func.Invoke<sbyte>(),
        DType.UInt8 => func.Invoke<byte>(),
        DType.Int16 => func.Invoke<short>(),
        DType.UInt16 => func.Invoke<ushort>(),
        DType.Int32 => func.Invoke<int>(),
        DType.UInt32 => func.Invoke<uint>(),
        DType.Int64 => func.Invoke<long>(),
        DType.UInt64 => func.Invoke<ulong>(),
        DType.Float16 => func.Invoke<Half>(),
        DType.Float32 => func.Invoke<float>(),
        DType.Float64 => func.Invoke<double>(),
        DType.Complex64 => func.Invoke<Complex64>(),
        DType.Complex128 => func.Invoke<System.Numerics.Complex>(),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown element type."),
    };
}
