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

    /// <summary>Every key: its HOCON/flag name, its help (its default lives in hocon/cluster.conf or the role file), and how a value sets it.</summary>
    private static readonly (string Key, string Help, string HelpName, Apply Set)[] Keys =
    {
        ("role", "this node's role: ps (parameter server) or worker", "ps|worker", (s, v, src) => s with { Role = Role(v, src) }),
        ("hostname", "address other nodes reach this one at (empty = this machine's host name)", "H", (s, v, _) => s with { Hostname = v.Trim() }),
        ("bind-hostname", "interface to listen on (empty = --hostname)", "H", (s, v, _) => s with { BindHostname = v.Trim() }),
        ("port", "transport port (0 = any free port)", "P", (s, v, src) => s with { Port = Int(v, src) }),
        ("seeds", "seed nodes, i.e. the ps node", "H:P[,H:P]", (s, v, _) => s with { Seeds = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) }),
        ("join-timeout", "give up joining after this long, e.g. 30s, 500ms, 2m", "T", (s, v, src) => s with { JoinTimeout = Duration(v, src) }),
        ("handshake-timeout", "drop a connection to this node that has not finished its TLS handshake and introduced itself after this long (both ports)", "T", (s, v, src) => s with { HandshakeTimeout = Duration(v, src) }),
        ("workers-per-node", "worker role: workers this node offers (0 = one per core)", "N", (s, v, src) => s with { WorkersPerNode = Int(v, src) }),
        ("standby", "ps role: on = a standby parameter server for the run in --resume DIR, taking over when the active ps node dies", "on|off", (s, v, src) => s with { Standby = Switch(v, src) }),
        ("tensor-port", "ps role: port of the tensor channel, the one TCP connection per worker node that carries every message after the join; 0 = any free port", "P", (s, v, src) => s with { TensorPort = Int(v, src) }),
        ("certs", "the run's certificates (actortrainer certs): DIR/ca.crt and DIR/NAME.pfx; required unless --insecure", "DIR", (s, v, _) => s with { Certs = v.Trim() }),
        ("node-name", "this node's certificate, DIR/NAME.pfx (empty = this machine's host name)", "NAME", (s, v, _) => s with { NodeName = v.Trim() }),
        ("insecure", "plaintext on both ports, no certificates: anyone who reaches them can join, read W and push (a bare --insecure = on)", "on|off", (s, v, src) => s with { Insecure = Values.OnOff(v, src) }),
    };

    /// <summary>The one node option that may be given without a value: a bare --insecure means on.</summary>
    private const string BareFlag = "insecure";

    /// <summary>Setting keys (the flag names without "--"), for the environment check and the cluster launcher.</summary>
    public static IEnumerable<string> OptionNames => Keys.Select(k => k.Key);

    /// <summary>The node options; the help shows each default as hocon/cluster.conf and the role files set it.</summary>
    internal static IReadOnlyList<System.CommandLine.Option<string>> CreateOptions(string? hoconDirectory = null)
    {
        hoconDirectory ??= DefaultHoconDirectory;
        Config Read(string name) => File.Exists(Path.Combine(hoconDirectory, name))
            ? ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(hoconDirectory, name))) : Config.Empty;
        var cluster = Read("cluster.conf");
        var roles = new[] { "ps", "worker" }.Select(role => (Role: role, Config: Read(role + ".conf").WithFallback(cluster))).ToList();
        string Default(string key)
        {
            string path = $"{Section}.{key}";
            string Value(Config c) => c.HasPath(path) ? (key == "seeds" ? string.Join(',', c.GetStringList(path)) : c.GetString(path) ?? "") : "";
            if (key == "role") return Value(cluster);
            var byRole = roles.Select(r => (r.Role, Value: Value(r.Config))).Where(r => r.Value.Length > 0).ToList();
            if (byRole.Count == roles.Count && byRole.All(r => r.Value == byRole[0].Value)) return byRole[0].Value;
            return string.Join(", ", byRole.Select(r => $"{r.Role} {r.Value}")); // differs by role, or one role's only
        }
        return Keys.Select(k =>
        {
            var option = OptionTable.Make(k.Key, k.Help, Default(k.Key), k.HelpName);
            if (k.Key == BareFlag) option.Arity = System.CommandLine.ArgumentArity.ZeroOrOne; // bare = on (TrainSettingsLoader.Given)
            return option;
        }).ToList();
    }

    /// <summary>The directory holding cluster.conf and the role files: next to the binary.</summary>
    public static string DefaultHoconDirectory => Path.Combine(AppContext.BaseDirectory, "hocon");

    public static (NodeSettings Settings, Config Hocon) Load(IReadOnlyDictionary<string, string> flags, IDictionary? environment = null, string? hoconDirectory = null)
    {
        environment ??= Environment.GetEnvironmentVariables();
        EnvironmentSettings.RejectUnknown(environment);
        hoconDirectory ??= DefaultHoconDirectory;
        var cluster = ReadFile(Path.Combine(hoconDirectory, "cluster.conf"), "the shared cluster settings");
        var files = Config.Empty;
        foreach (var file in (flags.GetValueOrDefault("config") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            files = ReadFile(file, "--config").WithFallback(files);

        // The role decides which role file to load.
        var early = files.WithFallback(cluster);
        var s = new NodeSettings();
        if (early.GetString($"{Section}.role", null) is { } r) s = s with { Role = Role(r, $"setting {Section}.role") };
        if (environment[EnvName("role")] is string envRole) s = s with { Role = Role(envRole, $"environment variable {EnvName("role")}") };
        if (flags.GetValueOrDefault("role") is { } flagRole) s = s with { Role = Role(flagRole, "--role") };
        string roleName = s.Role == NodeRole.Ps ? "ps" : "worker";
        var roleFile = ReadFile(Path.Combine(hoconDirectory, roleName + ".conf"), $"the {roleName} role's settings");
        var hocon = files.WithFallback(roleFile).WithFallback(cluster);

        // 1–3. HOCON files, then 4. environment variables, then 5. flags.
        foreach (var (key, _, _, set) in Keys)
        {
            string path = $"{Section}.{key}";
            if (!hocon.HasPath(path)) continue;
            string source = $"setting {path}";
            string? v = key == "seeds" ? string.Join(',', hocon.GetStringList(path)) : hocon.GetString(path, null);
            if (v is not null) s = set(s, v, source);
        }
        foreach (var (key, _, _, set) in Keys)
            if (environment[EnvName(key)] is string v) s = set(s, v, $"environment variable {EnvName(key)}");
        foreach (var (key, _, _, set) in Keys)
            if (flags.GetValueOrDefault(key) is { } v) s = set(s, v, $"--{key}");
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


    private static int Int(string v, string src) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) ? x
            : throw new UsageException($"{src}: '{v}' is not an integer");

    private static bool Switch(string v, string src) => v.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new UsageException($"{src}: '{v}' is not on or off"),
    };

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
