using System.CommandLine;

namespace SharedArrays.Cli;

/// <summary>A failure the CLI itself detects at run time (exit code 2), such as a demo check that did not pass.</summary>
internal sealed class CliException(string message) : Exception(message);

/// <summary>Turns expected failures into the CLI's exit codes and one-line messages.</summary>
internal static class CommandRunner
{
    internal const int Success = 0;
    internal const int UsageError = 1;
    internal const int RuntimeError = 2;

    /// <summary>Sets a command's action so that expected exceptions become exit code 2 and one line on stderr.</summary>
    internal static void SetGuardedAction(this Command command, Func<ParseResult, int> action) =>
        command.SetAction(parseResult =>
        {
            try
            {
                return action(parseResult);
            }
            catch (Exception e) when (IsExpected(e))
            {
                Fail(e);
                return RuntimeError;
            }
        });

    /// <summary>What a user can cause and fix: a missing segment, a bad value, a full disk, a permission.</summary>
    internal static bool IsExpected(Exception e) =>
        e is SharedArrayException or ArgumentException or FormatException or IOException or UnauthorizedAccessException
            or PlatformNotSupportedException or CliException;

    /// <summary>Writes "sharr: MESSAGE" on one line of stderr.</summary>
    internal static void Fail(string message) => Console.Error.WriteLine("sharr: " + OneLine(message));

    internal static void Fail(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } param })
        {
            // " (Parameter 'shape')" names a C# parameter the user never saw.
            message = message.Replace($" (Parameter '{param}')", "", StringComparison.Ordinal);
        }
        Fail(message);
    }

    /// <summary>Reports System.CommandLine's parse errors on one line, with a pointer to the help; exit code 1.</summary>
    internal static int ReportUsageErrors(ParseResult result)
    {
        string command = result.CommandResult.Command is RootCommand ? "sharr" : "sharr " + result.CommandResult.Command.Name;
        string errors = string.Join(" ", result.Errors.Select(error => EndSentence(error.Message)));
        Fail($"{errors} See '{command} --help'.");
        return UsageError;
    }

    private static string EndSentence(string text)
    {
        text = text.Trim();
        return text.EndsWith('.') ? text : text + ".";
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
