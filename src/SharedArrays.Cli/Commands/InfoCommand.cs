using System.CommandLine;
using System.Text.Json;
using SharedArrays.Cli.Output;
using SharedArrays.Cli.Parsing;

namespace SharedArrays.Cli.Commands;

/// <summary><c>sharr info NAME|PATH</c>: the header and control block of one segment or .npy file.</summary>
internal static class InfoCommand
{
    internal static Command Build()
    {
        Argument<string> target = CommonArguments.NameOrPath();
        Option<bool> json = GlobalOptions.Json();
        var command = new Command("info", "Describe one segment or .npy file: dtype, shape, sizes, data offset, generation, creator and whether it runs.")
        {
            target, json,
        };
        command.SetGuardedAction(parseResult =>
        {
            SegmentInfo info = SharedArray.Inspect(parseResult.GetRequiredValue(target), parseResult.GetDirectory());
            if (parseResult.GetValue(json))
            {
                JsonOutput.WriteObject(writer => WriteInfo(writer, info));
                return CommandRunner.Success;
            }
            bool ours = info.Format == SegmentFormat.SharedArray;
            Terminal.Out.Write(Tables.KeyValues(
            [
                ("name", info.Name),
                ("path", info.Path),
                ("format", ours ? "sharr (a .npy image followed by a control block)" : "npy (plain .npy file)"),
                ("dtype", $"{info.DType.Name()} ('{info.Descr}')"),
                ("shape", Formatting.Shape(info.Shape) + (info.FortranOrder ? ", Fortran order" : "")),
                ("elements", Formatting.Count(info.Length)),
                ("bytes", $"{Formatting.Count(info.DataBytes)} ({Formatting.Bytes(info.DataBytes)})"),
                ("file bytes", $"{Formatting.Count(info.FileBytes)} ({Formatting.Bytes(info.FileBytes)})"),
                ("data offset", Formatting.Number(info.DataOffset)),
                ("generation", ours ? Formatting.Generation(info.Generation) : "-"),
                ("persistent", ours ? Formatting.YesNo(info.Persistent) : "-"),
                ("creator pid", info.CreatorPid is { } pid ? Formatting.Number(pid) : "-"),
                ("creator alive", Formatting.YesNo(info.CreatorAlive)),
                ("created at", info.CreatedAt is { } at ? at.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "-"),
            ]));
            return CommandRunner.Success;
        });
        HelpExamples.Add(command,
            "sharr info a1",
            "sharr info ./weights.npy --json",
            "sharr info /dev/shm/a1");
        return command;
    }

    /// <summary>The JSON fields of one segment, shared with <c>list --json</c>.</summary>
    internal static void WriteInfo(Utf8JsonWriter writer, SegmentInfo info)
    {
        bool ours = info.Format == SegmentFormat.SharedArray;
        writer.WriteString("name", info.Name);
        writer.WriteString("path", info.Path);
        writer.WriteString("format", Formatting.FormatName(info.Format));
        writer.WriteString("dtype", info.DType.Name());
        writer.WriteString("descr", info.Descr);
        writer.WriteShape("shape", info.Shape);
        writer.WriteBoolean("fortran_order", info.FortranOrder);
        writer.WriteNumber("length", info.Length);
        writer.WriteNumber("bytes", info.DataBytes);
        writer.WriteNumber("file_bytes", info.FileBytes);
        writer.WriteNumber("data_offset", info.DataOffset);
        if (ours)
        {
            writer.WriteString("generation", Formatting.Generation(info.Generation));
        }
        else
        {
            writer.WriteNull("generation");
        }
        writer.WriteBoolean("persistent", info.Persistent);
        writer.WriteNumberOrNull("creator_pid", info.CreatorPid);
        writer.WriteBooleanOrNull("creator_alive", info.CreatorAlive);
        if (info.CreatedAt is { } createdAt)
        {
            writer.WriteString("created_at", createdAt);
        }
        else
        {
            writer.WriteNull("created_at");
        }
    }
}
