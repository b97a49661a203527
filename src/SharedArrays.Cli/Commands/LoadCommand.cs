using System.CommandLine;
using SharedArrays.Cli.Output;
using SharedArrays.Cli.Parsing;

namespace SharedArrays.Cli.Commands;

/// <summary><c>sharr load FILE.npy NAME</c>: a .npy file on disk into a new persistent segment.</summary>
internal static class LoadCommand
{
    private const long SpinnerThresholdBytes = 256L << 20;

    internal static Command Build()
    {
        var file = new Argument<string>("FILE.npy") { Description = "The .npy file to copy (as numpy.save writes it; Fortran order too)." };
        Argument<string> name = CommonArguments.Name("The new segment's name.");
        Option<bool> json = GlobalOptions.Json();
        var command = new Command("load",
            "Copy a .npy file from disk into a new persistent segment of the same dtype and shape, and print its handle. " +
            "The segment appears only once the copy is complete.")
        {
            file, name, json,
        };
        command.SetGuardedAction(parseResult =>
        {
            // A file argument is always a path, "x.npy" included (SharedArray.Open would take that for a segment name).
            string path = Path.GetFullPath(parseResult.GetRequiredValue(file));
            bool asJson = parseResult.GetValue(json);
            var options = new SharedArrayCreateOptions { Persistent = true, Directory = parseResult.GetDirectory() };
            bool spinner = !asJson && Terminal.IsStderrInteractive && new FileInfo(path) is { Exists: true, Length: >= SpinnerThresholdBytes };
            using SharedArray array = Terminal.WithStatus(spinner, $"Copying {path}...",
                () => NpyFile.Load(path, parseResult.GetRequiredValue(name), options));
            if (asJson)
            {
                JsonOutput.WriteObject(writer =>
                {
                    CreateCommand.WriteCreated(writer, array);
                    writer.WriteString("source", path);
                });
            }
            else
            {
                Console.Out.WriteLine(array.Handle.ToString());
            }
            return CommandRunner.Success;
        });
        HelpExamples.Add(command,
            "sharr load weights.npy w1",
            "python3 -c 'import numpy as np; np.save(\"/tmp/r.npy\", np.random.rand(1000, 1000))' && sharr load /tmp/r.npy r1");
        return command;
    }
}
