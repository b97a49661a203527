using System.Runtime.InteropServices;

namespace SharedArrays;

/// <summary>
/// NumPy's <c>complex64</c>: two <see cref="float"/> values, the real part then the imaginary part,
/// 8 bytes with no padding. .NET has no single-precision complex type; use
/// <see cref="System.Numerics.Complex"/> for <c>complex128</c>.
/// </summary>
/// <param name="Real">The real part.</param>
/// <param name="Imaginary">The imaginary part.</param>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct Complex64(float Real, float Imaginary);
