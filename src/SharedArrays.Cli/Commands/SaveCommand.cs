using System.CommandLine;
using SharedArrays.Cli.Output;
using SharedArrays.Cli.Parsing;

namespace SharedArrays.Cli.Commands;

/// <summary><c>sharr save NAME FILE.npy</c>: a segment's elements into a plain .npy file on disk.</summary>
internal static class SaveCommand
{
    private const long SpinnerThresholdBytes = 256L << 20;

    internal static Command Build()
    {
        Argument<string> source = CommonArguments.NameOrPath();
        var file = new Argument<string>("FILE.npy") { Description = "The .npy file to write." };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite FILE.npy if it exists." };
        Option<bool> json = GlobalOptions.Json();
        var command = new Command("save",
            "Write a segment's elements to a plain .npy file (numpy.load reads it; compact 64-byte-aligned header, no control block). " +
            "Refuses to overwrite an existing file unless --force.")
        {
            source, file, force, json,
        };
        command.SetGuardedAction(parseResult =>
        {
            string path = Path.GetFullPath(parseResult.GetRequiredValue(file));
            bool overwrite = parseResult.GetValue(force);
            bool asJson = parseResult.GetValue(json);
            if (!overwrite && Path.Exists(path))
            {
                // NpyFile.Save refuses too (atomically); this just says what to do about it.
                throw new IOException($"{path} exists; use --force to overwrite it.");
            }
            using SharedArray array = SharedArray.Open(parseResult.GetRequiredValue(source),
                new SharedArrayOpenOptions { ReadOnly = true, Directory = parseResult.GetDirectory() });
            bool spinner = !asJson && Terminal.IsStderrInteractive && array.ByteLength >= SpinnerThresholdBytes;
            Terminal.WithStatus(spinner, $"Writing {Formatting.Bytes(array.ByteLength)} to {path}...", () =>
            {
                NpyFile.Save(array, path, overwrite);
                return 0;
            });
            long fileBytes = new FileInfo(path).Length;
            if (asJson)
            {
                JsonOutput.WriteObject(writer =>
                {
                    writer.WriteString("name", array.Name);
                    writer.WriteString("path", path);
                    writer.WriteString("dtype", array.DType.Name());
                    writer.WriteShape("shape", array.Shape.ToArray());
                    writer.WriteNumber("bytes", array.ByteLength);
                    writer.WriteNumber("file_bytes", fileBytes);
                });
            }
            else
            {
                Console.Out.WriteLine($"saved {array.Name} {Formatting.Shape(array.Shape)} {array.DType.Name()} to {path} ({Formatting.Bytes(fileBytes)})");
            }
            return CommandRunner.Success;
        });
        HelpExamples.Add(command,
            "sharr save a1 a1.npy",
            "sharr save a1 /tmp/a1.npy --force",
            "python3 -c 'import numpy as np; print(np.load(\"a1.npy\").shape)'");
        return command;
    }
}
