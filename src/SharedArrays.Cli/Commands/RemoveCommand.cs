using System.CommandLine;
using SharedArrays.Cli.Output;

namespace SharedArrays.Cli.Commands;

/// <summary><c>sharr rm NAME...</c>: removes each name; exit 2 if any could not be removed.</summary>
internal static class RemoveCommand
{
    internal static Command Build()
    {
        var names = new Argument<string[]>("NAME")
        {
            Description = "The segments to remove. Processes that have one mapped keep using it; the memory goes with the last of them.",
            Arity = ArgumentArity.OneOrMore,
        };
        Option<bool> json = GlobalOptions.Json();
        var command = new Command("rm",
            "Remove segments by name (persistent ones too). Removes every name it can, then fails (exit 2) if any did not exist or could not be removed.")
        {
            names, json,
        };
        command.SetGuardedAction(parseResult =>
        {
            string? directory = parseResult.GetDirectory();
            bool asJson = parseResult.GetValue(json);
            var removed = new List<string>();
            var missing = new List<string>();
            var failed = new List<(string Name, string Error)>();
            foreach (string name in parseResult.GetRequiredValue(names))
            {
                try
                {
                    if (SharedArray.Remove(name, directory))
                    {
                        removed.Add(name);
                        if (!asJson)
                        {
                            Console.Out.WriteLine($"removed {name}");
                        }
                    }
                    else
                    {
                        missing.Add(name);
                    }
                }
                catch (Exception e) when (CommandRunner.IsExpected(e))
                {
                    // One bad name must not keep the others.
                    failed.Add((name, e.Message));
                }
            }
            if (asJson)
            {
                JsonOutput.WriteObject(writer =>
                {
                    writer.WriteStartArray("removed");
                    removed.ForEach(writer.WriteStringValue);
                    writer.WriteEndArray();
                    writer.WriteStartArray("missing");
                    missing.ForEach(writer.WriteStringValue);
                    writer.WriteEndArray();
                    writer.WriteStartArray("failed");
                    foreach (var (name, error) in failed)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("name", name);
                        writer.WriteString("error", error);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                });
            }
            if (missing.Count == 0 && failed.Count == 0)
            {
                return CommandRunner.Success;
            }
            var problems = new List<string>();
            if (missing.Count > 0)
            {
                problems.Add($"no such segment: {string.Join(", ", missing)} (in {GlobalOptions.ResolveDirectory(directory)})");
            }
            problems.AddRange(failed.Select(f => $"could not remove {f.Name}: {f.Error.TrimEnd('.')}"));
            CommandRunner.Fail(string.Join("; ", problems) + ".");
            return CommandRunner.RuntimeError;
        });
        HelpExamples.Add(command,
            "sharr rm a1",
            "sharr rm a1 a2 a3",
            "sharr rm a1 --json");
        return command;
    }
}
