using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace SharedArrays.Cli;

/// <summary>Adds an "Examples:" section to the help of the commands that have examples.</summary>
internal static class HelpExamples
{
    private static readonly Dictionary<Command, string[]> s_examples = [];

    /// <summary>Records examples for <paramref name="command"/>'s help.</summary>
    internal static void Add(Command command, params string[] examples) => s_examples[command] = examples;

    /// <summary>Wraps the root's (recursive) help option so that its output ends with the examples.</summary>
    internal static void Install(RootCommand root)
    {
        foreach (HelpOption help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction inner)
            {
                help.Action = new WithExamples(inner);
            }
        }
    }

    private sealed class WithExamples(HelpAction inner) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int exitCode = inner.Invoke(parseResult);
            if (s_examples.TryGetValue(parseResult.CommandResult.Command, out string[]? examples))
            {
                TextWriter output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (string example in examples)
                {
                    output.WriteLine("  " + example);
                }
                output.WriteLine();
            }
            return exitCode;
        }
    }
}
