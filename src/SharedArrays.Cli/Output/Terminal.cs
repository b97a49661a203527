using Spectre.Console;

namespace SharedArrays.Cli.Output;

/// <summary>Spectre.Console consoles for human output (stdout) and progress (stderr, only when it is a terminal).</summary>
internal static class Terminal
{
    private static readonly Lazy<IAnsiConsole> s_stderr = new(() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
    }));

    private static readonly Lazy<IAnsiConsole> s_stdout = new(() =>
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected)
        {
            // A pipe or file has no width; Spectre would assume 80 columns and wrap cells. Tables only take what they need.
            console.Profile.Width = 240;
        }
        return console;
    });

    /// <summary>Tables and text on stdout.</summary>
    internal static IAnsiConsole Out => s_stdout.Value;

    /// <summary>True when a person is watching stderr, so a spinner helps rather than litters a log.</summary>
    internal static bool IsStderrInteractive => !Console.IsErrorRedirected;

    /// <summary>Runs <paramref name="work"/>, with a spinner and <paramref name="status"/> on stderr when <paramref name="show"/>.</summary>
    internal static T WithStatus<T>(bool show, string status, Func<T> work) =>
        show ? s_stderr.Value.Status().Start(Markup.Escape(status), _ => work()) : work();

    /// <summary>Runs several steps under one spinner on stderr (when <paramref name="show"/>), each step updating its text.</summary>
    internal static void WithStatus(bool show, string status, Action<Action<string>> work)
    {
        if (!show)
        {
            work(static _ => { });
            return;
        }
        s_stderr.Value.Status().Start(Markup.Escape(status), context => work(text => context.Status(Markup.Escape(text))));
    }
}
