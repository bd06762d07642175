using System.Collections;
using System.CommandLine;
using System.Globalization;
using Akka.Configuration;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Core.Compression;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Settings;

/// <summary>
/// Reads <see cref="TrainSettings"/> once, in layers (later wins): the embedded reference.conf (the only
/// defaults), each <c>--config FILE</c> (HOCON, e.g. hocon/local.conf), environment variables
/// <c>ACTORTRAINER_&lt;KEY&gt;</c>, then command-line flags <c>--&lt;key&gt;</c>. Its key table is also
/// the option table of every command that takes training settings (train, node, scale).
/// Every problem becomes a <see cref="UsageException"/> that names its source.
/// </summary>
public static class TrainSettingsLoader
{
    private const string Section = "actortrainer.train";

    private delegate TrainSettings Apply(TrainSettings s, string v, string source);

    private static readonly string[] Optimizers = ["sgd", "momentum", "adagrad", "adam"];

    /// <summary>Every key: its HOCON/flag name, its help, the values completion offers, and how a string value sets it.</summary>
    private static readonly (string Key, string Help, string? HelpName, string[]? Choices, Apply Set)[] Keys =
    {
        ("corpus", "training text, UTF-8 (empty: the built-in corpus)", "FILE", null, (s, v, _) => s with { Corpus = Blank(v) }),
        ("hidden", "hidden units H", "H", null, (s, v, src) => s with { Hidden = Int(v, src) }),
        ("batch", "streams per worker B", "B", null, (s, v, src) => s with { Batch = Int(v, src) }),
        ("chunk", "steps per chunk = truncation depth k", "K", null, (s, v, src) => s with { Chunk = Int(v, src) }),
        ("truncation", "how far gradients flow back", null, ["subsequence", "k", "full"], (s, v, src) => s with { Truncation = Values.Enum<TruncationKind>(v, src) }),
        ("activation", "phi", null, ["tanh", "identity", "relu"], (s, v, src) => s with { Activation = Values.Enum<Activation>(v, src) }),
        ("clip-norm", "global L2-norm clipping threshold, or none", "C|none", null, (s, v, src) => s with { ClipNorm = OptFloat(v, src) }),
        ("clip-value", "per-element clipping bound, or none", "C|none", null, (s, v, src) => s with { ClipValue = OptFloat(v, src) }),
        ("optimizer", "update rule", null, Optimizers, (s, v, src) => s with { Optimizer = Values.OneOf(Optimizers)(v, src) }),
        ("lr", "learning rate", "X", null, (s, v, src) => s with { LearningRate = Float(v, src) }),
        ("workers", "worker actors (0 = one per core); on a ps node: the run's total over all worker nodes", "N", null, (s, v, src) => s with { Workers = Int(v, src) }),
        ("mode", "parameter-server consistency", null, ["sync", "async", "ssp"], (s, v, src) => s with { Mode = Values.Enum<ConsistencyMode>(v, src) }),
        ("staleness", "ssp: how many versions a gradient may lag", "S", null, (s, v, src) => s with { Staleness = Int(v, src) }),
        ("max-in-flight", "pushes a worker may have awaiting the server's answer (auto: 2 in async, 1 in sync and ssp)", "N|auto", null, (s, v, src) => s with { MaxInFlight = AutoOrPositive(v, src) }),
        ("push-encoding", "what a worker pushes: fp32, bf16 (round to nearest even) or topk:F[:W] (fraction F of the largest values, with error feedback; over the first W updates the fraction falls from 25% to F)", "fp32|bf16|topk:F[:W]", ["fp32", "bf16", "topk:0.01", "topk:0.01:60"],
            (s, v, src) => s with { PushEncoding = GradientEncoding.TryParse(v) ?? throw new UsageException($"{src}: '{v}' is not a push encoding; expected fp32, bf16, topk:F or topk:F:W with F in (0, 1] and W ≥ 0 warm-up updates") }),
        ("weights-encoding", "how the server sends W to the workers: fp32 or bf16 (rounded copies; the server's W stays fp32)", null, ["fp32", "bf16"],
            (s, v, src) => s with { WeightsEncoding = Values.OneOf("fp32", "bf16")(v, src) == "bf16" ? WireEncoding.Bf16 : WireEncoding.Fp32 }),
        ("local-steps", "chunks a worker applies locally (the run's optimizer on its own W) before pushing the change once; the server averages the changes", "H", null, (s, v, src) => s with { LocalSteps = Int(v, src) }),
        ("shards", "parameter-server shards, W split by key range", "N", null, (s, v, src) => s with { Shards = Int(v, src) }),
        ("updates", "stop after N applied updates", "N", null, (s, v, src) => s with { Updates = Int(v, src) }),
        ("seed", "seed for initial weights and sampling", "N", null, (s, v, src) => s with { Seed = Int(v, src) }),
        ("init", "start from the weights of a .safetensors checkpoint", "FILE", null, (s, v, _) => s with { Init = Blank(v) }),
        ("resume", "continue a run: weights, optimizer state, data position, hidden state", "DIR", null, (s, v, _) => s with { Resume = Blank(v) }),
        ("out", "run directory, new or empty (empty: runs/<timestamp>)", "DIR", null, (s, v, _) => s with { Out = Blank(v) }),
        ("validation-fraction", "fraction of the corpus (its end) held out for validation, in [0, 1)", "F", null, (s, v, src) => s with { ValidationFraction = Double(v, src) }),
        ("eval-every", "validation loss every N updates (0 = at the end only)", "N", null, (s, v, src) => s with { EvalEvery = Int(v, src) }),
        ("checkpoint-every", "checkpoint every N updates (0 = at the end only)", "N", null, (s, v, src) => s with { CheckpointEvery = Int(v, src) }),
        ("sample", "characters sampled at the end", "N", null, (s, v, src) => s with { SampleLength = Int(v, src) }),
        ("temperature", "sampling temperature (0 = argmax)", "X", null, (s, v, src) => s with { Temperature = Float(v, src) }),
        ("progress", "live progress line on stderr", null, ["on", "off"], (s, v, src) => s with { Progress = Values.OnOff(v, src) }),
    };

    /// <summary>Setting keys (the flag names without "--"), for the environment check and the commands that pass settings on.</summary>
    public static IEnumerable<string> KeyNames => Keys.Select(k => k.Key);

    /// <summary>The settings of reference.conf alone: no files, no environment, no flags.</summary>
    public static TrainSettings Defaults => Load(new Dictionary<string, string>(), new Hashtable());

    /// <summary>The option table: one option per key (help shows the reference.conf default), plus --config.</summary>
    internal static IReadOnlyList<Option<string>> CreateOptions(IEnumerable<string>? except = null)
    {
        var skip = new HashSet<string>(except ?? []);
        return Keys.Where(k => !skip.Contains(k.Key))
            .Select(k => OptionTable.Make(k.Key, k.Help, ReferenceConfig.Default($"{Section}.{k.Key}"), k.HelpName, k.Choices))
            .Append(ConfigOption())
            .ToList();
    }

    internal static Option<string> ConfigOption() =>
        OptionTable.Make("config", "HOCON file(s), comma-separated, with actortrainer.train { ... } (and .node) overrides", "", "FILE[,FILE]");

    /// <summary>The options given on the command line (not defaulted), by key; an option that may go
    /// without a value (arity 0..1, e.g. --insecure) given bare is "on" (the parser would return its default).</summary>
    internal static Dictionary<string, string> Given(ParseResult r, IEnumerable<Option<string>> options) =>
        options.Where(o => r.GetResult(o) is { Implicit: false })
            .ToDictionary(o => o.Name.TrimStart('-'), o => r.GetResult(o)!.Tokens.Count == 0 && o.Arity.MinimumNumberOfValues == 0 ? "on" : r.GetValue(o) ?? "");

    /// <summary>Loads settings from all layers; throws <see cref="UsageException"/> on any bad value.</summary>
    /// <param name="flags">Options given on the command line, by key (e.g. "hidden" → "64"; "config" → files).</param>
    public static TrainSettings Load(IReadOnlyDictionary<string, string> flags, IDictionary? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables();
        EnvironmentSettings.RejectUnknown(environment);
        var s = new TrainSettings();
        // 1. reference.conf, then 2. --config files (comma-separated list allowed).
        var config = ReferenceConfig.Config;
        foreach (var file in (flags.GetValueOrDefault("config") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!File.Exists(file)) throw new UsageException($"--config: file not found: {file}");
            Config fileConfig;
            try { fileConfig = ConfigurationFactory.ParseString(File.ReadAllText(file)); }
            catch (Exception e) when (e is not UsageException) { throw new UsageException($"--config {file}: not valid HOCON: {e.Message}"); }
            config = fileConfig.WithFallback(config);
        }
        var section = config.GetConfig(Section);
        foreach (var (key, _, _, _, set) in Keys)
        {
            string v = section?.GetString(key, null) ?? throw new InvalidOperationException($"reference.conf has no default for {Section}.{key}");
            s = set(s, v, $"setting {Section}.{key}");
        }
        // 3. environment variables.
        foreach (var (key, _, _, _, set) in Keys)
        {
            string env = EnvName(key);
            if (environment[env] is string v) s = set(s, v, $"environment variable {env}");
        }
        // 4. command-line flags.
        foreach (var (key, _, _, _, set) in Keys)
        {
            if (flags.TryGetValue(key, out var v)) s = set(s, v, $"--{key}");
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
}
