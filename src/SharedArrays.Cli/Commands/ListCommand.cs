using System.CommandLine;
using SharedArrays.Cli.Output;

namespace SharedArrays.Cli.Commands;

/// <summary><c>sharr list</c>: every segment and .npy in the directory.</summary>
internal static class ListCommand
{
    internal static Command Build()
    {
        Option<bool> json = GlobalOptions.Json();
        var command = new Command("list", "List the segments (ours and plain .npy files) in the directory: dtype, shape, size, creator, whether it still runs.")
        {
            json,
        };
        command.Aliases.Add("ls");
        command.SetGuardedAction(parseResult =>
        {
            string? directory = parseResult.GetDirectory();
            IReadOnlyList<SegmentInfo> segments = SharedArray.List(directory);
            if (parseResult.GetValue(json))
            {
                JsonOutput.WriteObject(writer =>
                {
                    writer.WriteStartArray("segments");
                    foreach (SegmentInfo info in segments)
                    {
                        writer.WriteStartObject();
                        InfoCommand.WriteInfo(writer, info);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                });
                return CommandRunner.Success;
            }
            if (segments.Count == 0)
            {
                Console.Out.WriteLine($"No shared arrays in {GlobalOptions.ResolveDirectory(directory)}.");
                return CommandRunner.Success;
            }
            var table = Tables.Create("name", "format", "dtype", "shape", "bytes", "persistent", "creator pid", "alive").RightAlign(4, 6);
            foreach (SegmentInfo info in segments)
            {
                table.AddTextRow(
                    info.Name,
                    Formatting.FormatName(info.Format),
                    info.DType.Name(),
                    Formatting.Shape(info.Shape),
                    Formatting.Bytes(info.DataBytes),
                    info.Format == SegmentFormat.Npy ? "-" : Formatting.YesNo(info.Persistent),
                    info.CreatorPid is { } pid ? Formatting.Number(pid) : "-",
                    Formatting.YesNo(info.CreatorAlive));
            }
            Terminal.Out.Write(table);
            return CommandRunner.Success;
        });
        HelpExamples.Add(command,
            "sharr list",
            "sharr list --json",
            "sharr --dir /mnt/huge list");
        return command;
    }
}
