using System.CommandLine;
using System.Globalization;

namespace SharedArrays.Cli.Commands;

/// <summary>
/// <c>sharr __demo-worker HANDLE</c> (hidden): the child process of <c>sharr demo</c>. It opens the view
/// the handle describes, in the parent's segment, and fills all of it with its own PID.
/// </summary>
internal static class DemoWorkerCommand
{
    internal const string Name = "__demo-worker";

    internal static Command Build()
    {
        var handle = new Argument<string>("HANDLE") { Description = "The handle of the view to fill." };
        var command = new Command(Name, "Internal: the child process of 'sharr demo'.") { handle };
        command.Hidden = true;
        command.SetGuardedAction(parseResult =>
        {
            // Opening never makes this process an owner: when it exits, the parent's segment stays.
            using SharedArray<double> view = SharedArray<double>.Open(SharedArrayHandle.Parse(parseResult.GetRequiredValue(handle)),
                new SharedArrayOpenOptions { Directory = parseResult.GetDirectory() });
            view.Fill(Environment.ProcessId);
            Console.Out.WriteLine(view.Length.ToString(CultureInfo.InvariantCulture));
            return CommandRunner.Success;
        });
        return command;
    }
}
