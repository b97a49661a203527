internal static partial class Interop
{
    internal static class Libraries
    {
        // glibc's libc.so.6 is found by this name through the runtime's probing ("libc.so").
        internal const string Libc = "libc";
    }
}
