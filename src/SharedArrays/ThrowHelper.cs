using System.Diagnostics.CodeAnalysis;

namespace SharedArrays;

internal static class ThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowInvalidName(string name, string? paramName) =>
        throw new ArgumentException(
            $"'{name}' is not a valid segment name: use 1 to 255 letters, digits, '.', '_' or '-', not starting with '.'.",
            paramName);

    [DoesNotReturn]
    internal static void ThrowReadOnly() =>
        throw new InvalidOperationException("The array was opened read-only; use AsReadOnlyTensorSpan() or GetReadOnlyChunks() to read it.");

    [DoesNotReturn]
    internal static void ThrowIndexOutOfRange() => throw new IndexOutOfRangeException();

    [DoesNotReturn]
    internal static void ThrowRankMismatch(int rank, int given) =>
        throw new ArgumentException($"The array has rank {rank}, but {given} indices were given.");

    internal static PlatformNotSupportedException NotLinux() =>
        new("SharedArrays supports Linux in this version.");
}
