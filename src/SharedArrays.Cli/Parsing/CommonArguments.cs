using System.CommandLine;

namespace SharedArrays.Cli.Parsing;

/// <summary>Arguments and options that several commands declare the same way.</summary>
internal static class CommonArguments
{
    /// <summary>A segment name or, with a '/', a path to a .npy file.</summary>
    internal static Argument<string> NameOrPath() => new("NAME|PATH")
    {
        Description = "A segment name in the directory, or a path to a .npy file (a path must contain '/': ./data.npy).",
    };

    internal static Argument<string> Name(string description) => new("NAME") { Description = description };

    /// <summary><c>--dtype</c>, parsed with numpy's spellings; an unknown one is a usage error.</summary>
    internal static Option<DType> DType() => new("--dtype")
    {
        Description = "The element type, as numpy spells it: float64 (f8, <f8, double, float), float32, float16, " +
                      "int64 (int), int32, int16, int8, uint64, uint32, uint16, uint8, bool, complex64, complex128 (complex).",
        HelpName = "DTYPE",
        Required = true,
        CustomParser = static result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            try
            {
                return DTypes.Parse(text);
            }
            catch (FormatException e)
            {
                result.AddError(e.Message);
                return default;
            }
        },
    };

    /// <summary><c>--shape</c>: comma-separated axis lengths; "" or "()" for a scalar (rank 0).</summary>
    internal static Option<long[]> Shape() => new("--shape")
    {
        Description = "The axis lengths, comma-separated: 1000,1000 or (1000, 1000); \"\" or \"()\" for a rank-0 scalar.",
        HelpName = "D0,D1,...",
        Required = true,
        CustomParser = static result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (ShapeParser.TryParse(text, out long[]? shape, out string? error))
            {
                return shape;
            }
            result.AddError(error);
            return [];
        },
    };
}
