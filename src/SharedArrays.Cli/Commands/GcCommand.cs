using System.CommandLine;
using SharedArrays.Cli.Output;

namespace SharedArrays.Cli.Commands;

/// <summary><c>sharr gc [--dry-run] [--json]</c>: removes orphans (see <see cref="SharedArray.CollectOrphans"/>).</summary>
internal static class GcCommand
{
    internal static Command Build()
    {
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "List the orphans without removing anything.",
        };
        Option<bool> json = GlobalOptions.Json();
        var command = new Command("gc",
            "Remove orphaned segments: non-persistent ones whose creator died (kill -9, power cut of a container) and that no process " +
            "has mapped, and creations abandoned half-way. A segment any process uses is never removed: removal happens under the " +
            "segment's exclusive lock, which no one can take while a process holds it. Persistent segments and .npy files are kept.")
        {
            dryRun, json,
        };
        command.SetGuardedAction(parseResult =>
        {
            string? directory = parseResult.GetDirectory();
            bool dry = parseResult.GetValue(dryRun);
            IReadOnlyList<OrphanSegment> orphans = SharedArray.CollectOrphans(new OrphanCollectionOptions { Directory = directory, DryRun = dry });
            long bytes = orphans.Sum(o => o.Bytes);
            if (parseResult.GetValue(json))
            {
                JsonOutput.WriteObject(writer =>
                {
                    writer.WriteString("directory", GlobalOptions.ResolveDirectory(directory));
                    writer.WriteBoolean("dry_run", dry);
                    writer.WriteStartArray("orphans");
                    foreach (OrphanSegment orphan in orphans)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("name", orphan.Name);
                        writer.WriteString("path", orphan.Path);
                        writer.WriteString("reason", ReasonText(orphan.Reason));
                        writer.WriteNumberOrNull("creator_pid", orphan.CreatorPid);
                        writer.WriteNumber("bytes", orphan.Bytes);
                        writer.WriteBoolean("removed", orphan.Removed);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                    writer.WriteNumber("count", orphans.Count);
                    writer.WriteNumber("bytes", bytes);
                });
                return CommandRunner.Success;
            }
            string where = GlobalOptions.ResolveDirectory(directory);
            if (orphans.Count == 0)
            {
                Console.Out.WriteLine($"No orphans in {where}.");
                return CommandRunner.Success;
            }
            var table = Tables.Create("name", "reason", "creator pid", "bytes", dry ? "would" : "done").RightAlign(2, 3);
            foreach (OrphanSegment orphan in orphans)
            {
                table.AddTextRow(
                    orphan.Name,
                    ReasonText(orphan.Reason),
                    orphan.CreatorPid is { } pid ? Formatting.Number(pid) : "-",
                    Formatting.Bytes(orphan.Bytes),
                    dry ? "remove" : "removed");
            }
            Terminal.Out.Write(table);
            Console.Out.WriteLine(dry
                ? $"{orphans.Count} orphan(s) in {where}, {Formatting.Bytes(bytes)}; run without --dry-run to remove them."
                : $"Removed {orphans.Count} orphan(s) from {where}, freeing {Formatting.Bytes(bytes)}.");
            return CommandRunner.Success;
        });
        HelpExamples.Add(command,
            "sharr gc --dry-run",
            "sharr gc",
            "sharr gc --json");
        return command;
    }

    private static string ReasonText(OrphanReason reason) => reason switch
    {
        OrphanReason.CreatorDied => "creator died",
        OrphanReason.AbandonedCreation => "abandoned creation",
        _ => reason.ToString(),
    };
}
