using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Scaling;

/// <summary>How each configuration of a sweep ends.</summary>
public enum StopRule
{
    /// <summary>After a fixed number of training tokens (applied gradients' tokens).</summary>
    Budget,
    /// <summary>When the validation loss reaches the target (checked online), or at the token budget.</summary>
    Target,
}

/// <summary>Where each configuration of a sweep runs.</summary>
public enum Launcher
{
    /// <summary>In this process: one actor system, server shards and workers as actors.</summary>
    InProcess,
    /// <summary>As real processes on 127.0.0.1: one `actortrainer node --role ps` and n worker nodes (one worker each).</summary>
    Cluster,
    /// <summary>Simulated on virtual time in this process: the real state classes and gradients, a cost model for the clock.</summary>
    Sim,
}

/// <summary>
/// Immutable settings of a `scale` sweep: the lists swept (workers × modes × chunk lengths × shards),
/// when a configuration stops, and how it is observed. The model, data and optimizer come from
/// <see cref="Train"/> (the same settings `train` reads). <see cref="Validate"/> returns the first
/// problem as a user-facing sentence, or null.
/// </summary>
public sealed record ScaleSettings
{
    public TrainSettings Train { get; init; } = Settings.TrainSettingsLoader.Defaults; // the settings reference.conf gives
    public IReadOnlyList<int> Workers { get; init; } = [1, 2, 4];
    public IReadOnlyList<ModeSpec> Modes { get; init; } = [new(ConsistencyMode.Sync, 0), new(ConsistencyMode.Async, 0), new(ConsistencyMode.Ssp, 2)];
    /// <summary>Chunk lengths k; empty = just <see cref="TrainSettings.Chunk"/>.</summary>
    public IReadOnlyList<int> Chunks { get; init; } = [];
    public IReadOnlyList<int> Shards { get; init; } = [1, 2];
    public StopRule Stop { get; init; } = StopRule.Budget;
    /// <summary>Training tokens per configuration (Budget), or the cap when aiming at a target.</summary>
    public long TokenBudget { get; init; } = 2_000_000;
    /// <summary>Target validation loss: Target mode stops there; Budget mode reports the time to reach it.
    /// Null in Budget mode = the highest final loss of the sweep (the loss every configuration reached).</summary>
    public double? TargetLoss { get; init; }
    /// <summary>Weight snapshots per configuration for the loss-vs-time curve (Budget mode evaluates
    /// them after the run, so validation never competes with training for the cores).</summary>
    public int Points { get; init; } = 16;
    /// <summary>Held-out characters per validation.</summary>
    public int ValidationTokens { get; init; } = 8_000;
    /// <summary>Seconds spent measuring the server's capacity at the model's size after the sweep (0 = skip).</summary>
    public double CapacitySeconds { get; init; } = 1;
    /// <summary>Output directory; null = runs/scale-    /// <summary>Output directory; null = ./scale/&lt;timestamp&gt;.</summary>lt;timestamp    /// <summary>Output directory; null = ./scale/&lt;timestamp&gt;.</summary>gt;.</summary>
    public string? Out { get; init; }
    public bool Progress { get; init; } = true;
    public Launcher Launcher { get; init; } = Launcher.InProcess;
    /// <summary>Cluster launcher: the model/data options as given on the command line (--name=value,
    /// without --chunk, --progress and --config), passed on to every node so nodes and sweep agree.</summary>
    public IReadOnlyList<string> NodeArgs { get; init; } = [];
    /// <summary>Cluster launcher: the --config files given (comma-separated), passed on after hocon/local.conf.</summary>
    public string? ConfigFiles { get; init; }
    /// <summary>Cluster launcher: a configuration whose nodes show no sign of progress for this long (no
    /// output, no new metrics or checkpoint bytes, no exit) has stalled: its nodes are killed and the sweep
    /// fails with their logs, instead of waiting for ever.</summary>
    public double StallSeconds { get; init; } = 300;
    /// <summary>Sim launcher: the cost model's options (see <see cref="Simulation.SimOptions"/>).</summary>
    public Simulation.SimOptions Sim { get; init; } = new();

    public IReadOnlyList<int> EffectiveChunks => Chunks.Count > 0 ? Chunks : [Train.Chunk];

    /// <summary>Every configuration, grouped: shards, then k, then mode, then workers ascending.</summary>
    public IReadOnlyList<ScaleConfig> Configurations() =>
        (from shards in Shards
         from k in EffectiveChunks
         from mode in Modes
         from n in Workers.Order()
         select new ScaleConfig(n, mode, k, shards)).ToArray();

    public string? Validate()
    {
        if (Train.Validate() is { } problem) return problem;
        if (Core.Compression.GradientEncoding.PushesDeltas(Train.PushEncoding!, Train.LocalSteps))
        {
            if (Shards.Any(s => s != 1)) return $"--local-steps > 1 and --push-encoding topk need one server shard (--shards 1; got {string.Join(",", Shards)})";
            if (Launcher == Launcher.Sim)
                return "--launcher sim models pushes of one chunk's gradient; --local-steps > 1 and --push-encoding topk run with --launcher inproc or cluster";
        }
        if (Workers.Count == 0 || Workers.Any(n => n <= 0)) return $"--workers needs positive worker counts (got {string.Join(",", Workers)})";
        if (Workers.Distinct().Count() != Workers.Count) return $"--workers lists a count twice ({string.Join(",", Workers)})";
        if (Modes.Count == 0) return "--modes needs at least one mode";
        if (Modes.Distinct().Count() != Modes.Count) return $"--modes lists a mode twice ({string.Join(",", Modes)})";
        if (EffectiveChunks.Any(k => k <= 0)) return $"--chunks needs positive lengths (got {string.Join(",", EffectiveChunks)})";
        if (EffectiveChunks.Distinct().Count() != EffectiveChunks.Count) return $"--chunks lists a length twice ({string.Join(",", EffectiveChunks)})";
        if (Shards.Count == 0 || Shards.Any(s => s <= 0)) return $"--shards needs positive shard counts (got {string.Join(",", Shards)})";
        if (Shards.Distinct().Count() != Shards.Count) return $"--shards lists a count twice ({string.Join(",", Shards)})";
        if (TokenBudget <= 0) return $"--budget must be a positive number of tokens (got {TokenBudget})";
        if (Stop == StopRule.Target && TargetLoss is null) return "--until target needs --target LOSS";
        if (TargetLoss is { } t && !(double.IsFinite(t) && t > 0)) return $"--target must be a positive loss (got {t})";
        if (Points < 2) return $"--points must be ≥ 2 (got {Points})";
        if (ValidationTokens < 16) return $"--val-tokens must be ≥ 16 (got {ValidationTokens})";
        if (!(CapacitySeconds >= 0) || double.IsInfinity(CapacitySeconds)) return $"--capacity-seconds must be ≥ 0 (got {CapacitySeconds})";
        if (!(StallSeconds > 0) || double.IsInfinity(StallSeconds)) return $"--stall-timeout must be a positive number of seconds (got {StallSeconds})";
        if (Launcher == Launcher.Cluster && Shards.Any(s => s != 1))
            return $"--launcher cluster runs one unsharded parameter server per configuration (a ps node has no shards); --shards {string.Join(",", Shards)} is for --launcher inproc only";
        if (Launcher != Launcher.Sim && (Sim.Stragglers is not null || Sim.CompareInProcess || Sim.JitterSigma > 0))
            return "--sim-* options need --launcher sim";
        if (Launcher == Launcher.Cluster && Stop == StopRule.Target)
            return "--until target needs --launcher inproc (a cluster run is not stopped at a loss); with --launcher cluster use --until budget and --target LOSS for the time to the target";
        return null;
    }
}
