using System.CommandLine;
using System.CommandLine.Invocation;
using SharedArrays.Cli.Commands;
using SharedArrays.Cli.Output;

namespace SharedArrays.Cli;

/// <summary>The <c>sharr</c> command tree and its entry point.</summary>
internal static class Sharr
{
    internal static int Run(string[] args)
    {
        RootCommand root = BuildRoot();
        ParseResult result = root.Parse(args);
        if (result.Action is ParseErrorAction)
        {
            return CommandRunner.ReportUsageErrors(result);
        }
        // Expected failures are caught per command (exit 2); anything else is a bug and should crash loudly
        // rather than be mistaken for a usage error (System.CommandLine's handler would return 1).
        return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "sharr: create, inspect and remove n-dimensional numeric arrays in shared memory. " +
            "Every segment is a valid NumPy .npy file: numpy.load(\"/dev/shm/NAME\", mmap_mode=\"r+\") attaches it.");
        root.Options.Add(GlobalOptions.Directory);
        root.Subcommands.Add(CreateCommand.Build());
        root.Subcommands.Add(ListCommand.Build());
        root.Subcommands.Add(InfoCommand.Build());
        root.Subcommands.Add(StatsCommand.Build());
        root.Subcommands.Add(PsCommand.Build());
        root.Subcommands.Add(RemoveCommand.Build());
        root.Subcommands.Add(GcCommand.Build());
        root.Subcommands.Add(WatchCommand.Build());
        root.Subcommands.Add(LoadCommand.Build());
        root.Subcommands.Add(SaveCommand.Build());
        root.Subcommands.Add(DemoCommand.Build());
        HelpExamples.Add(root,
            "sharr create a1 --dtype float64 --shape 1000,1000 --fill 1.5",
            "sharr stats a1 --json",
            "python3 -c 'import numpy as np; print(np.load(\"/dev/shm/a1\", mmap_mode=\"r\").sum())'",
            "sharr rm a1",
            "sharr --dir /mnt/huge list          (or SHARR_DIR=/mnt/huge sharr list)");
        HelpExamples.Install(root);
        return root;
    }
}
