using System.CommandLine;
using System.CommandLine.Invocation;

namespace ActorTrainer.Cli.CommandLine;

/// <summary>
/// Turns System.CommandLine's parse errors into the house's one `error:` line: the first problem, the
/// library's typo suggestion ("did you mean --hidden?"), and where to look for the options.
/// </summary>
internal static class ParseErrors
{
    public static string Describe(ParseResult r)
    {
        var command = r.CommandResult.Command;
        string path = CommandPath(r);
        if (r.UnmatchedTokens.Count > 0)
        {
            string token = r.UnmatchedTokens[0];
            string hint = Suggestions(r, token) is { Count: > 0 } s ? $"; did you mean {string.Join(" or ", s)}?" : "";
            if (token.StartsWith('-'))
                return $"unknown option {token} for '{path}'{hint} (see '{path} --help')";
            if (command.Subcommands.Count > 0)
                return $"unknown {Noun(command)} '{token}'{hint} (expected one of: {Names(command)})";
            return $"unexpected argument '{token}' for '{path}' (options look like --name value; see '{path} --help')";
        }
        if (command.Subcommands.Count > 0 && command.Action is null)
            return $"'{path}' needs a{(Noun(command)[0] is 'e' ? "n" : "")} {Noun(command)}: one of {Names(command)} (see '{path} --help')";
        return string.Join(" ", r.Errors[0].Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
    }

    private static string Noun(Command c) => c switch
    {
        RootCommand => "command",
        { Name: "bench" } => "bench mode",
        _ => c.Name,
    };

    private static string Names(Command c) => string.Join(", ", c.Subcommands.Where(s => !s.Hidden).Select(s => s.Name));

    private static string CommandPath(ParseResult r)
    {
        var names = new List<string>();
        for (var c = r.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            names.Add(c.Command is RootCommand ? "actortrainer" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The library's typo corrections for <paramref name="token"/>, read from what its error action prints.</summary>
    private static List<string> Suggestions(ParseResult r, string token)
    {
        if (r.Action is not ParseErrorAction action) return [];
        action.ShowHelp = false;
        action.ShowTypoCorrections = true;
        var output = new StringWriter();
        r.Invoke(new InvocationConfiguration { Output = output, Error = TextWriter.Null, EnableDefaultExceptionHandler = false });
        // Printed as a line naming the token, then one candidate per line, for each unmatched token in turn.
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        int start = Array.FindIndex(lines, l => l.StartsWith($"'{token}'", StringComparison.Ordinal));
        return start < 0 ? [] : lines.Skip(start + 1).TakeWhile(l => !l.StartsWith('\'')).ToList();
    }
}
