using System.CommandLine;
using SharedArrays.Cli.Output;
using SharedArrays.Cli.Parsing;

namespace SharedArrays.Cli.Commands;

/// <summary><c>sharr create NAME --dtype DTYPE --shape D0,D1,... [--fill VALUE]</c>: a persistent segment.</summary>
internal static class CreateCommand
{
    internal static Command Build()
    {
        Argument<string> name = CommonArguments.Name("The segment name: a file name in the directory (letters, digits, '.', '_', '-').");
        Option<DType> dtype = CommonArguments.DType();
        Option<long[]> shape = CommonArguments.Shape();
        var fill = new Option<string?>("--fill")
        {
            Description = "The value of every element (default 0). bool: true, false, 1, 0; integers: in range; " +
                          "floats: 1.5, nan, inf, -inf; complex: 1+2j, 1,2 or a real.",
            HelpName = "VALUE",
        };
        Option<bool> json = GlobalOptions.Json();

        var command = new Command("create",
            "Create a persistent segment (it stays until 'sharr rm') and print its handle. " +
            "numpy attaches it with numpy.load(\"/dev/shm/NAME\", mmap_mode=\"r+\").")
        {
            name, dtype, shape, fill, json,
        };
        // A fill value that does not suit the dtype is a usage error, found before anything is created.
        command.Validators.Add(result =>
        {
            if (result.GetValue(fill) is { } text && result.GetResult(dtype) is { Errors: var none } && !none.Any()
                && ValueParser.Validate(result.GetValue(dtype), text) is { } error)
            {
                result.AddError("--fill: " + error);
            }
        });
        command.SetGuardedAction(parseResult =>
        {
            var options = new SharedArrayCreateOptions { Persistent = true, Directory = parseResult.GetDirectory() };
            long[] dims = parseResult.GetRequiredValue(shape);
            using SharedArray array = ElementTypes.Dispatch<Create, SharedArray>(
                parseResult.GetValue(dtype), new Create(parseResult.GetRequiredValue(name), dims, parseResult.GetValue(fill), options));
            if (parseResult.GetValue(json))
            {
                JsonOutput.WriteObject(writer => WriteCreated(writer, array));
            }
            else
            {
                Console.Out.WriteLine(array.Handle.ToString());
            }
            return CommandRunner.Success;
        });
        HelpExamples.Add(command,
            "sharr create a1 --dtype float64 --shape 1000,1000 --fill 1.5",
            "sharr create mask --dtype bool --shape 1000000 --fill true",
            "sharr create z --dtype complex64 --shape 8,8 --fill 1+2j",
            "sharr create pixels --dtype u1 --shape 1080,1920,3",
            "sharr create total --dtype f8 --shape \"\" --fill 0      (a rank-0 scalar)",
            "sharr create a1 --dtype f8 --shape 10 --json");
        return command;
    }

    /// <summary>The JSON fields create and load print.</summary>
    internal static void WriteCreated(System.Text.Json.Utf8JsonWriter writer, SharedArray array)
    {
        writer.WriteString("name", array.Name);
        writer.WriteString("handle", array.Handle.ToString());
        writer.WriteString("dtype", array.DType.Name());
        writer.WriteString("descr", array.DType.Descr());
        writer.WriteShape("shape", array.Shape.ToArray());
        writer.WriteNumber("bytes", array.ByteLength);
        writer.WriteString("path", array.Path);
    }

    private readonly struct Create(string name, long[] shape, string? fill, SharedArrayCreateOptions options) : IElementTypeFunc<SharedArray>
    {
        public SharedArray Invoke<T>() where T : unmanaged =>
            fill is null
                ? SharedArray<T>.Create(name, shape, options)
                : SharedArray<T>.Full(name, shape, ValueParser.Parse<T>(fill), options);
    }
}
