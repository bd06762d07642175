using System.Collections;
using System.Globalization;
using Akka.Configuration;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Settings;

/// <summary>
/// Reads <see cref="TrainSettings"/> once, in layers (later wins): the embedded reference.conf,
/// each <c>--config FILE</c> (HOCON, e.g. hocon/local.conf), environment variables
/// <c>ACTORTRAINER_&lt;KEY&gt;</c>, then command-line flags <c>--&lt;key&gt;</c>.
/// Every problem becomes a <see cref="UsageException"/> that names its source.
/// </summary>
public static class TrainSettingsLoader
{
    private const string Section = "actortrainer.train";

    private delegate TrainSettings Apply(TrainSettings s, string v, string source);

    /// <summary>Every key: its HOCON/flag name and how a string value sets it.</summary>
    private static readonly (string Key, Apply Set)[] Keys =
    {
        ("corpus", (s, v, _) => s with { Corpus = Blank(v) }),
        ("hidden", (s, v, src) => s with { Hidden = Int(v, src) }),
        ("batch", (s, v, src) => s with { Batch = Int(v, src) }),
        ("chunk", (s, v, src) => s with { Chunk = Int(v, src) }),
        ("truncation", (s, v, src) => s with { Truncation = Enum<TruncationKind>(v, src, "subsequence, k, full") }),
        ("activation", (s, v, src) => s with { Activation = Enum<Activation>(v, src, "tanh, identity, relu") }),
        ("clip-norm", (s, v, src) => s with { ClipNorm = OptFloat(v, src) }),
        ("clip-value", (s, v, src) => s with { ClipValue = OptFloat(v, src) }),
        ("optimizer", (s, v, src) => s with { Optimizer = OneOf(v, src, "sgd", "momentum", "adagrad", "adam") }),
        ("lr", (s, v, src) => s with { LearningRate = Float(v, src) }),
        ("workers", (s, v, src) => s with { Workers = Int(v, src) }),
        ("mode", (s, v, src) => s with { Mode = Enum<ConsistencyMode>(v, src, "sync, async, ssp") }),
        ("staleness", (s, v, src) => s with { Staleness = Int(v, src) }),
        ("max-in-flight", (s, v, src) => s with { MaxInFlight = AutoOrPositive(v, src) }),
        ("shards", (s, v, src) => s with { Shards = Int(v, src) }),
        ("updates", (s, v, src) => s with { Updates = Int(v, src) }),
        ("seed", (s, v, src) => s with { Seed = Int(v, src) }),
        ("init", (s, v, _) => s with { Init = Blank(v) }),
        ("resume", (s, v, _) => s with { Resume = Blank(v) }),
        ("out", (s, v, _) => s with { Out = Blank(v) }),
        ("validation-fraction", (s, v, src) => s with { ValidationFraction = Double(v, src) }),
        ("eval-every", (s, v, src) => s with { EvalEvery = Int(v, src) }),
        ("checkpoint-every", (s, v, src) => s with { CheckpointEvery = Int(v, src) }),
        ("sample", (s, v, src) => s with { SampleLength = Int(v, src) }),
        ("temperature", (s, v, src) => s with { Temperature = Float(v, src) }),
        ("progress", (s, v, src) => s with { Progress = Bool(v, src) }),
    };

    /// <summary>Option names the loader consumes, for --help and for commands that add their own.</summary>
    public static IEnumerable<string> OptionNames => Keys.Select(k => k.Key).Append("config");

    public static Config Reference()
    {
        using var stream = typeof(TrainSettingsLoader).Assembly.GetManifestResourceStream("ActorTrainer.reference.conf")
            ?? throw new InvalidOperationException("embedded reference.conf is missing from the build");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>Loads settings from all layers; throws <see cref="UsageException"/> on any bad value.</summary>
    public static TrainSettings Load(ArgList args, IDictionary? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables();
        var s = new TrainSettings();
        // 1. reference.conf, then 2. --config files (comma-separated list allowed).
        var config = Reference();
        foreach (var file in (args.Get("config") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!File.Exists(file)) throw new UsageException($"--config: file not found: {file}");
            Config fileConfig;
            try { fileConfig = ConfigurationFactory.ParseString(File.ReadAllText(file)); }
            catch (Exception e) when (e is not UsageException) { throw new UsageException($"--config {file}: not valid HOCON: {e.Message}"); }
            config = fileConfig.WithFallback(config);
        }
        var section = config.GetConfig(Section);
        foreach (var (key, set) in Keys)
        {
            string? v = section?.GetString(key, null);
            if (v is not null) s = set(s, v, $"setting {Section}.{key}");
        }
        // 3. environment variables.
        foreach (var (key, set) in Keys)
        {
            string env = EnvName(key);
            if (environment[env] is string v) s = set(s, v, $"environment variable {env}");
        }
        // 4. command-line flags.
        foreach (var (key, set) in Keys)
        {
            if (args.Get(key) is { } v) s = set(s, v, $"--{key}");
        }
        if (s.Validate() is { } problem) throw new UsageException(problem);
        return s;
    }

    public static string EnvName(string key) => "ACTORTRAINER_" + key.ToUpperInvariant().Replace('-', '_');

    private static string? Blank(string v) => string.IsNullOrWhiteSpace(v) ? null : v;

    private static int Int(string v, string src) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) ? x
            : throw new UsageException($"{src}: '{v}' is not an integer");

    /// <summary>"auto" = 0 (decided later, by mode); otherwise a positive integer.</summary>
    internal static int AutoOrPositive(string v, string src) =>
        v.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase) ? 0
            : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) && x > 0 ? x
            : throw new UsageException($"{src}: '{v}' is not a positive integer or auto");

    private static float Float(string v, string src) =>
        float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out float x) ? x
            : throw new UsageException($"{src}: '{v}' is not a number");

    private static double Double(string v, string src) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) ? x
            : throw new UsageException($"{src}: '{v}' is not a number");

    private static float? OptFloat(string v, string src) =>
        v.Trim().ToLowerInvariant() is "none" or "off" or "" ? null : Float(v, src);

    private static bool Bool(string v, string src) => v.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" or "1" => true,
        "off" or "false" or "no" or "0" => false,
        _ => throw new UsageException($"{src}: '{v}' is not on/off"),
    };

    internal static T Enum<T>(string v, string src, string allowed) where T : struct, System.Enum =>
        System.Enum.TryParse<T>(v.Trim(), ignoreCase: true, out var x) && !int.TryParse(v, out _) ? x
            : throw new UsageException($"{src}: unknown value '{v}' (expected one of: {allowed})");

    private static string OneOf(string v, string src, params string[] allowed) =>
        allowed.Contains(v.Trim().ToLowerInvariant()) ? v.Trim().ToLowerInvariant()
            : throw new UsageException($"{src}: unknown value '{v}' (expected one of: {string.Join(", ", allowed)})");
}
