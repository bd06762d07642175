using System.Collections;
using System.Globalization;
using Akka.Configuration;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Cli.CommandLine;

namespace ActorTrainer.Cli.Settings;

/// <summary>
/// Reads a cluster node's <see cref="NodeSettings"/> and the HOCON its actor system starts from, in
/// layers (later wins): hocon/cluster.conf, hocon/&lt;role&gt;.conf, each <c>--config FILE</c>,
/// environment variables <c>ACTORTRAINER_&lt;KEY&gt;</c> (e.g. ACTORTRAINER_SEEDS), then flags
/// <c>--&lt;key&gt;</c>. The role is settled first (flag, env, --config, cluster.conf) because it picks
/// the role file. Akka's HOCON does not substitute environment variables, so they are applied here,
/// in code. Every problem becomes a <see cref="UsageException"/> naming its source.
/// </summary>
public static class NodeSettingsLoader
{
    private const string Section = "actortrainer.node";

    private delegate NodeSettings Apply(NodeSettings s, string v, string source);

    private static readonly (string Key, Apply Set)[] Keys =
    {
        ("role", (s, v, src) => s with { Role = Role(v, src) }),
        ("hostname", (s, v, _) => s with { Hostname = v.Trim() }),
        ("bind-hostname", (s, v, _) => s with { BindHostname = v.Trim() }),
        ("port", (s, v, src) => s with { Port = Int(v, src) }),
        ("seeds", (s, v, _) => s with { Seeds = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) }),
        ("join-timeout", (s, v, src) => s with { JoinTimeout = Duration(v, src) }),
        ("workers-per-node", (s, v, src) => s with { WorkersPerNode = Int(v, src) }),
        ("tensor-port", (s, v, src) => s with { TensorPort = Int(v, src) }),
        ("certs", (s, v, _) => s with { Certs = v.Trim() }),
        ("node-name", (s, v, _) => s with { NodeName = v.Trim() }),
        ("insecure", (s, v, src) => s with { Insecure = Bool(v, src) }),
    };

    /// <summary>Option names this loader consumes (besides --config).</summary>
    public static IEnumerable<string> OptionNames => Keys.Select(k => k.Key);

    /// <summary>The directory holding cluster.conf and the role files: next to the binary.</summary>
    public static string DefaultHoconDirectory => Path.Combine(AppContext.BaseDirectory, "hocon");

    public static (NodeSettings Settings, Config Hocon) Load(ArgList args, IDictionary? environment = null, string? hoconDirectory = null)
    {
        environment ??= Environment.GetEnvironmentVariables();
        hoconDirectory ??= DefaultHoconDirectory;
        var cluster = ReadFile(Path.Combine(hoconDirectory, "cluster.conf"), "the shared cluster settings");
        var files = Config.Empty;
        foreach (var file in (args.Get("config") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            files = ReadFile(file, "--config").WithFallback(files);

        // The role decides which role file to load.
        var early = files.WithFallback(cluster);
        var s = new NodeSettings();
        if (early.GetString($"{Section}.role", null) is { } r) s = s with { Role = Role(r, $"setting {Section}.role") };
        if (environment[EnvName("role")] is string envRole) s = s with { Role = Role(envRole, $"environment variable {EnvName("role")}") };
        if (args.Get("role") is { } flagRole) s = s with { Role = Role(flagRole, "--role") };
        string roleName = s.Role == NodeRole.Ps ? "ps" : "worker";
        var roleFile = ReadFile(Path.Combine(hoconDirectory, roleName + ".conf"), $"the {roleName} role's settings");
        var hocon = files.WithFallback(roleFile).WithFallback(cluster);

        // 1–3. HOCON files, then 4. environment variables, then 5. flags.
        foreach (var (key, set) in Keys)
        {
            string path = $"{Section}.{key}";
            if (!hocon.HasPath(path)) continue;
            string source = $"setting {path}";
            string? v = key == "seeds" ? string.Join(',', hocon.GetStringList(path)) : hocon.GetString(path, null);
            if (v is not null) s = set(s, v, source);
        }
        foreach (var (key, set) in Keys)
            if (environment[EnvName(key)] is string v) s = set(s, v, $"environment variable {EnvName(key)}");
        foreach (var (key, set) in Keys)
            if (args.Has(key)) s = set(s, args.Get(key) ?? "true", $"--{key}"); // a bare flag (--insecure) is "true"
        if (s.Role != (roleName == "ps" ? NodeRole.Ps : NodeRole.Worker))
            throw new UsageException($"{roleName}.conf sets actortrainer.node.role to another role; the role file must match its name");
        if (s.Validate() is { } problem) throw new UsageException(problem);
        return (s, hocon);
    }

    public static string EnvName(string key) => "ACTORTRAINER_" + key.ToUpperInvariant().Replace('-', '_');

    private static Config ReadFile(string path, string what)
    {
        if (!File.Exists(path))
            throw new UsageException($"{what}: file not found: {path}" +
                (what == "--config" ? "" : " (the hocon/ directory ships next to the actortrainer binary)"));
        try { return ConfigurationFactory.ParseString(File.ReadAllText(path)); }
        catch (Exception e) when (e is not UsageException) { throw new UsageException($"{path}: not valid HOCON: {e.Message}"); }
    }

    private static NodeRole Role(string v, string src) => v.Trim().ToLowerInvariant() switch
    {
        "ps" => NodeRole.Ps,
        "worker" => NodeRole.Worker,
        _ => throw new UsageException($"{src}: unknown role '{v}' (expected ps or worker)"),
    };

    private static bool Bool(string v, string src) => v.Trim().ToLowerInvariant() switch
    {
        "true" or "on" or "yes" or "1" => true,
        "false" or "off" or "no" or "0" or "" => false,
        _ => throw new UsageException($"{src}: '{v}' is not true or false"),
    };

    private static int Int(string v, string src) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) ? x
            : throw new UsageException($"{src}: '{v}' is not an integer");

    /// <summary>"30s", "500ms", "2m", "1h"; a bare number is seconds.</summary>
    private static TimeSpan Duration(string v, string src)
    {
        string t = v.Trim().ToLowerInvariant();
        (string number, double scale) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0)
            : t.EndsWith('h') ? (t[..^1], 3600.0)
            : (t, 1.0);
        if (!double.TryParse(number.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
            throw new UsageException($"{src}: '{v}' is not a duration (e.g. 30s, 500ms, 2m)");
        return TimeSpan.FromSeconds(x * scale);
    }
}
