using ActorTrainer.Core.Compression;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Training;

/// <summary>Consistency mode of the parameter server.</summary>
public enum ConsistencyMode
{
    /// <summary>Bulk-synchronous: one gradient from each active worker, averaged, applied once.</summary>
    Sync,
    /// <summary>Downpour-style: each gradient applied on arrival.</summary>
    Async,
    /// <summary>Bounded staleness: applied only if current version − base version ≤ s.</summary>
    Ssp,
}

/// <summary>Which f(t) the workers backpropagate with.</summary>
public enum TruncationKind { Subsequence, K, Full }

/// <summary>
/// Every setting of a training run, read once (reference.conf, then hocon/ files, then environment
/// variables, then command-line flags) into this immutable record. It has no defaults of its own:
/// they live in the CLI's reference.conf only (TrainSettingsLoader.Defaults). <see cref="Validate"/>
/// returns the first problem as a user-facing sentence, or null.
/// </summary>
public sealed record TrainSettings
{
    /// <summary>Corpus file; null = the embedded default corpus.</summary>
    public string? Corpus { get; init; }
    public int Hidden { get; init; }
    /// <summary>Streams per worker (B).</summary>
    public int Batch { get; init; }
    /// <summary>Chunk length k: steps forward between updates and the truncation depth.</summary>
    public int Chunk { get; init; }
    public TruncationKind Truncation { get; init; }
    public Activation Activation { get; init; }
    /// <summary>Global L2-norm clipping threshold; null = no norm clipping.</summary>
    public float? ClipNorm { get; init; }
    /// <summary>Per-element clipping bound; null = none.</summary>
    public float? ClipValue { get; init; }
    public string Optimizer { get; init; } = ""; // not a default: an unread record names no optimizer
    public float LearningRate { get; init; }
    /// <summary>Worker count; 0 = one per core.</summary>
    public int Workers { get; init; }
    public ConsistencyMode Mode { get; init; }
    public int Staleness { get; init; }
    /// <summary>Pushes a worker may have awaiting the server's answer before it stops computing;
    /// 0 = by mode (the actors' default: 2 in async, 1 in sync and ssp).</summary>
    public int MaxInFlight { get; init; }
    /// <summary><see cref="MaxInFlight"/> when set, null for the mode's default.</summary>
    public int? ExplicitMaxInFlight => MaxInFlight > 0 ? MaxInFlight : null;
    /// <summary>What a worker does to a push before it leaves: fp32, bf16 or topk:F[:W] (see <see cref="GradientEncoding"/>).</summary>
    public GradientEncoding? PushEncoding { get; init; }
    /// <summary>How the server sends W to workers: fp32 or bf16 (its own W stays fp32).</summary>
    public WireEncoding WeightsEncoding { get; init; }
    /// <summary>Local steps H: chunks a worker applies to its own copy of W before one push (1 = every chunk).</summary>
    public int LocalSteps { get; init; }
    /// <summary>Parameter-server shards: W split by key range across this many server actors.</summary>
    public int Shards { get; init; }
    /// <summary>Stop after this many applied updates.</summary>
    public int Updates { get; init; }
    public int Seed { get; init; }
    /// <summary>Start from the weights of this safetensors checkpoint.</summary>
    public string? Init { get; init; }
    /// <summary>Resume the run in this directory.</summary>
    public string? Resume { get; init; }
    /// <summary>Run directory; null = ./runs/&lt;timestamp&gt;.</summary>
    public string? Out { get; init; }
    /// <summary>Fraction of the corpus held out for validation (taken from its end).</summary>
    public double ValidationFraction { get; init; }
    /// <summary>Evaluate validation loss every this many updates (0 = only at the end).</summary>
    public int EvalEvery { get; init; }
    /// <summary>Write a checkpoint every this many updates (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Characters sampled at the end of the run.</summary>
    public int SampleLength { get; init; }
    public float Temperature { get; init; }
    /// <summary>Live progress display on stderr.</summary>
    public bool Progress { get; init; }

    public int EffectiveWorkers => Workers > 0 ? Workers : Environment.ProcessorCount;

    public string? Validate()
    {
        if (Hidden <= 0) return $"--hidden must be a positive integer (got {Hidden})";
        if (Batch <= 0) return $"--batch must be a positive integer (got {Batch})";
        if (Chunk <= 0) return $"--chunk must be a positive integer (got {Chunk})";
        if (Workers < 0) return $"--workers must be a positive integer (got {Workers})";
        if (Updates <= 0) return $"--updates must be a positive integer (got {Updates})";
        if (Shards <= 0) return $"--shards must be a positive integer (got {Shards})";
        if (Staleness < 0) return $"--staleness must be ≥ 0 (got {Staleness})";
        if (PushEncoding is null) return "--push-encoding must be fp32, bf16 or topk:F with F in (0, 1]";
        if (LocalSteps <= 0) return $"--local-steps must be a positive integer (got {LocalSteps})";
        if (GradientEncoding.PushesDeltas(PushEncoding, LocalSteps) && Shards > 1)
            return "--local-steps above 1 and --push-encoding topk need --shards 1 (workers push changes of W, a sharded server is not built for them)";
        if (MaxInFlight < 0) return $"--max-in-flight must be a positive integer or auto (got {MaxInFlight})";
        if (!float.IsFinite(LearningRate) || LearningRate < 0) return $"--lr must be a finite, non-negative number (got {LearningRate})";
        if (ClipNorm is { } c && (!float.IsFinite(c) || c <= 0)) return $"--clip-norm must be a finite, positive number (got {c})";
        if (ClipValue is { } v && (!float.IsFinite(v) || v <= 0)) return $"--clip-value must be a finite, positive number (got {v})";
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) return $"validation fraction must be in [0, 1) (got {ValidationFraction})";
        if (EvalEvery < 0) return $"--eval-every must be ≥ 0 (got {EvalEvery})";
        if (CheckpointEvery < 0) return $"--checkpoint-every must be ≥ 0 (got {CheckpointEvery})";
        if (SampleLength < 0) return $"--sample must be ≥ 0 (got {SampleLength})";
        if (!float.IsFinite(Temperature) || Temperature < 0) return $"--temperature must be a finite, non-negative number (got {Temperature})";
        if (Init is not null && Resume is not null) return "--init and --resume cannot be combined: --resume restores the run's own weights";
        return null;
    }
}
