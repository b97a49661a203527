using System.CommandLine;

namespace SharedArrays.Cli;

/// <summary>Options shared by several commands.</summary>
internal static class GlobalOptions
{
    /// <summary><c>--dir</c>, on every command; null means the library's default.</summary>
    internal static readonly Option<string?> Directory = new("--dir")
    {
        Description = "The shared-memory directory holding the segments (default: $SHARR_DIR if set, else /dev/shm). " +
                      "Any tmpfs works, e.g. one mounted with huge=always.",
        HelpName = "DIR",
        Recursive = true,
    };

    /// <summary>A <c>--json</c> option for one command.</summary>
    internal static Option<bool> Json() => new("--json")
    {
        Description = "Print exactly one JSON document (snake_case keys) on stdout and nothing else.",
    };

    /// <summary>The directory as given, for the library's options (null: its own default).</summary>
    internal static string? GetDirectory(this ParseResult parseResult) => parseResult.GetValue(Directory) is { Length: > 0 } dir ? dir : null;

    /// <summary>The directory the library will use, for messages and free-space checks.</summary>
    internal static string ResolveDirectory(string? directory) => SharedArray.ResolveDirectory(directory);
}
