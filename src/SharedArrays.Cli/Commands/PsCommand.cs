using System.CommandLine;
using System.Text.Json;
using SharedArrays.Cli.Output;

namespace SharedArrays.Cli.Commands;

/// <summary><c>sharr ps [NAME|PATH]</c>: the processes that have each segment mapped, and what it costs them.</summary>
internal static class PsCommand
{
    /// <summary>Table cells longer than this lose their middle: the start names the program, the end usually the segment.</summary>
    private const int CommandWidth = 60;

    internal static Command Build()
    {
        var target = new Argument<string?>("NAME|PATH")
        {
            Description = "A segment name, or a path to a .npy file (with '/'); omit it for every segment in the directory.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        Option<bool> json = GlobalOptions.Json();
        var command = new Command("ps",
            "Show the processes that have a segment mapped, from /proc: PID, command line, and the bytes mapped, resident (RSS) " +
            "and proportional (PSS: each page divided among the processes that map it, so PSS adds up to the memory used). " +
            "Only root sees other users' processes.")
        {
            target, json,
        };
        command.SetGuardedAction(parseResult =>
        {
            string? directory = parseResult.GetDirectory();
            string? name = parseResult.GetValue(target);
            IReadOnlyList<SegmentUser> users;
            List<string> names;
            if (name is not null)
            {
                users = SharedArray.GetUsers(name, directory);
                names = [name];
            }
            else
            {
                // The list first: a segment created in between still shows up through its users, and
                // one removed in between is, truthfully, mapped by nobody.
                IReadOnlyList<SegmentInfo> segments = SharedArray.List(directory);
                users = SharedArray.GetAllUsers(directory);
                names = segments.Select(s => s.Name).Union(users.Select(u => u.Name)).Order(StringComparer.Ordinal).ToList();
            }
            ILookup<string, SegmentUser> bySegment = users.ToLookup(u => u.Name, StringComparer.Ordinal);

            if (parseResult.GetValue(json))
            {
                JsonOutput.WriteObject(writer =>
                {
                    writer.WriteStartArray("segments");
                    foreach (string segment in names)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("name", segment);
                        writer.WriteStartArray("users");
                        foreach (SegmentUser user in bySegment[segment])
                        {
                            writer.WriteStartObject();
                            WriteUser(writer, user);
                            writer.WriteEndObject();
                        }
                        writer.WriteEndArray();
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                });
                return CommandRunner.Success;
            }

            if (names.Count == 0)
            {
                Console.Out.WriteLine($"No shared arrays in {GlobalOptions.ResolveDirectory(directory)}.");
                return CommandRunner.Success;
            }
            if (users.Count > 0)
            {
                var table = Tables.Create("name", "pid", "command", "mapped", "rss", "pss").RightAlign(1, 3, 4, 5);
                foreach (SegmentUser user in users)
                {
                    table.AddTextRow(
                        user.Name,
                        Formatting.Number(user.Pid),
                        Shorten(user.CommandLine),
                        Formatting.Bytes(user.MappedBytes),
                        Formatting.Bytes(user.ResidentBytes),
                        Formatting.Bytes(user.ProportionalBytes));
                }
                Terminal.Out.Write(table);
            }
            foreach (string segment in names.Where(n => !bySegment.Contains(n)))
            {
                Console.Out.WriteLine($"{segment}: not mapped by any process");
            }
            return CommandRunner.Success;
        });
        HelpExamples.Add(command,
            "sharr ps",
            "sharr ps a1",
            "sharr ps a1 --json",
            "sharr --dir /mnt/huge ps");
        return command;
    }

    /// <summary>The JSON fields of one mapping process.</summary>
    private static void WriteUser(Utf8JsonWriter writer, SegmentUser user)
    {
        writer.WriteNumber("pid", user.Pid);
        writer.WriteString("command_line", user.CommandLine);
        writer.WriteNumber("mapped_bytes", user.MappedBytes);
        writer.WriteNumber("rss_bytes", user.ResidentBytes);
        writer.WriteNumber("pss_bytes", user.ProportionalBytes);
        writer.WriteBoolean("writable", user.Writable);
    }

    /// <summary>A command line fit for one table cell: control characters as spaces, the middle of a long one elided.</summary>
    private static string Shorten(string commandLine)
    {
        string text = string.Create(commandLine.Length, commandLine, static (span, source) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
        if (text.Length <= CommandWidth)
        {
            return text;
        }
        int head = (CommandWidth - 3) / 2;
        return string.Concat(text.AsSpan(0, head), "...", text.AsSpan(text.Length - (CommandWidth - 3 - head)));
    }
}
