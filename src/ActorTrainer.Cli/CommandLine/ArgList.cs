namespace ActorTrainer.Cli.CommandLine;

/// <summary>
/// Command-line options of the form <c>--name value</c>, <c>--name=value</c> or a bare
/// <c>--flag</c>. Every option is consumed at most once; <see cref="RejectUnused"/> turns an
/// unknown option into a <see cref="UsageException"/>.
/// </summary>
public sealed class ArgList
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flagNames;

    /// <param name="args">Arguments after the subcommand.</param>
    /// <param name="flagNames">Options that take no value.</param>
    public ArgList(IEnumerable<string> args, params string[] flagNames)
    {
        _flagNames = new HashSet<string>(flagNames, StringComparer.Ordinal);
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                throw new UsageException($"unexpected argument '{a}' (options look like --name value; see --help)");
            string name = a[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            else if (!_flagNames.Contains(name))
            {
                if (i + 1 >= list.Count || (list[i + 1].StartsWith("--", StringComparison.Ordinal) && !IsNumber(list[i + 1])))
                    throw new UsageException($"option --{name} needs a value");
                value = list[++i];
            }
            if (!_values.TryAdd(name, value))
                throw new UsageException($"option --{name} is given twice");
        }
    }

    private static bool IsNumber(string s) => double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);

    public bool Has(string name) { bool has = _values.ContainsKey(name); if (has) _used.Add(name); return has; }

    /// <summary>The value of --name, or null when absent.</summary>
    public string? Get(string name)
    {
        if (!_values.TryGetValue(name, out var v)) return null;
        _used.Add(name);
        return v;
    }

    /// <summary>All options given, for layered settings.</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>Throws for any option that no one asked for.</summary>
    public void RejectUnused(string command)
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"unknown option --{unknown[0]} for '{command}' (see 'actortrainer {command} --help')");
    }
}
