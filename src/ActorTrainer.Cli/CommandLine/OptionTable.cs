using System.CommandLine;
using ActorTrainer.Cli.Settings;

namespace ActorTrainer.Cli.CommandLine;

/// <summary>
/// One option of a command: text on the command line, its default read from reference.conf at
/// <c>section.name</c> (shown in the help), and one parser for both.
/// </summary>
internal sealed class CliOption<T>(Option<string> option, string path, Func<string, string, T> parse)
{
    public Option<string> Option { get; } = option;

    /// <summary>The value given, else the reference.conf default; parse failures name their source.</summary>
    public T Read(ParseResult r) => parse(r.GetValue(Option) ?? "", IsGiven(r) ? Option.Name : $"reference.conf {path}");

    public bool IsGiven(ParseResult r) => r.GetResult(Option) is { Implicit: false };
}

/// <summary>
/// A command's option table: every option's name, help text and parser in one list, with defaults from
/// one reference.conf section. System.CommandLine builds the help, typo suggestions and completions from it.
/// </summary>
internal sealed class OptionTable(string section)
{
    private readonly List<Option> _options = [];

    public IReadOnlyList<Option> Options => _options;

    /// <param name="completions">Values offered by shell completion (and shown as the value's name in the help).</param>
    public CliOption<T> Add<T>(string name, string description, Func<string, string, T> parse,
        string? helpName = null, IReadOnlyList<string>? completions = null, bool hidden = false)
    {
        string path = $"{section}.{name}";
        string reference = ReferenceConfig.Default(path);
        // A default its own parser refuses is a defect of the build: fail when the command is built, not when run.
        try { parse(reference, $"reference.conf {path}"); }
        catch (UsageException e) { throw new InvalidOperationException(e.Message, e); }
        var option = Make(name, description, reference, helpName, completions, hidden);
        _options.Add(option);
        return new CliOption<T>(option, path, parse);
    }

    /// <summary>An option holding text; the default (if any) is shown in the help as written in reference.conf.</summary>
    public static Option<string> Make(string name, string description, string reference,
        string? helpName = null, IReadOnlyList<string>? completions = null, bool hidden = false)
    {
        var option = new Option<string>("--" + name)
        {
            Description = description,
            HelpName = helpName ?? (completions is null ? null : string.Join('|', completions)),
            Hidden = hidden,
        };
        if (reference.Length > 0) option.DefaultValueFactory = _ => reference;
        if (completions is not null) option.CompletionSources.Add(completions.ToArray());
        return option;
    }

    public void AddTo(Command command)
    {
        foreach (var o in _options) command.Options.Add(o);
    }
}
