using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Compression;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Coordinator;

/// <summary>
/// Immutable, self-validating settings of one in-process training run; the server's and workers'
/// settings are derived from it.
/// </summary>
public sealed record TrainingRunSettings
{
    public ConsistencyMode Mode { get; }
    /// <summary>The run completes after this many applied updates.</summary>
    public long MaxUpdates { get; }
    /// <summary>Ssp staleness bound s (ignored by sync and async).</summary>
    public int Staleness { get; }
    /// <summary>Shape string both sides of registration must agree on (see <see cref="ModelFingerprint.Of"/>).</summary>
    public string ModelShape { get; }
    /// <summary>Run the validation hook every this many updates (0 = only on the final weights).</summary>
    public int ValidateEvery { get; }
    /// <summary>Abort as diverged once more non-finite gradients than this are reported.</summary>
    public long MaxNonFiniteReports { get; }
    /// <summary>Per worker: pushes awaiting the server's answer before it stops computing (flow control);
    /// by default <see cref="WorkerSettings.DefaultMaxInFlight"/> of the mode.</summary>
    public int MaxInFlight { get; }
    /// <summary>Parameter-server shards: W split by key range across this many server actors
    /// (see <see cref="Sharding.ShardLayout"/>); 1 = one unsharded server.</summary>
    public int Shards { get; }
    /// <summary>Pin worker i's thread to CPU i (mod the CPUs allowed) and server shard i's to worker
    /// i's CPU (see <see cref="Hosting.ThreadAffinity"/>). Only right when this run owns the machine's
    /// cores: processes sharing a machine (a local cluster) would pin onto the same CPUs.</summary>
    public bool PinThreads { get; init; } = true;
    /// <summary>What every worker does to a push before it leaves (see <see cref="GradientEncoding"/>).</summary>
    public GradientEncoding Encoding { get; init; } = GradientEncoding.Fp32;
    /// <summary>How the server sends W to the workers (fp32 or bf16).</summary>
    public WireEncoding WeightsEncoding { get; init; }
    /// <summary>Local steps H (1 = push every chunk); H &gt; 1 needs <see cref="LocalOptimizer"/>.</summary>
    public int LocalSteps { get; init; } = 1;
    /// <summary>The rule of the workers' local steps: the run's optimizer (the server then averages the changes).</summary>
    public Optimizer? LocalOptimizer { get; init; }
    /// <summary>Run snapshots (<see cref="TrainingCallbacks.OnSnapshot"/>) every this many updates; 0 = only as the run ends.</summary>
    public int SnapshotEvery
    {
        get => _snapshotEvery;
        init => _snapshotEvery = value >= 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(SnapshotEvery), value, "snapshot interval must be ≥ 0");
    }
    private readonly int _snapshotEvery;
    /// <summary>The workers' clip-norm and clip-value, which the server enforces too (see <see cref="ServerSettings.ClipNorm"/>).</summary>
    public float? ClipNorm { get; init; }
    public float? ClipValue { get; init; }

    public TrainingRunSettings(
        ConsistencyMode mode, long maxUpdates, string modelShape = "", int staleness = 0,
        int validateEvery = 0, long maxNonFiniteReports = 100, int? maxInFlight = null, int shards = 1)
    {
        ArgumentNullException.ThrowIfNull(modelShape);
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown consistency mode");
        if (maxUpdates <= 0) throw new ArgumentOutOfRangeException(nameof(maxUpdates), maxUpdates, "max updates must be positive");
        if (staleness < 0) throw new ArgumentOutOfRangeException(nameof(staleness), staleness, "staleness bound must be ≥ 0");
        if (validateEvery < 0) throw new ArgumentOutOfRangeException(nameof(validateEvery), validateEvery, "validation interval must be ≥ 0");
        if (maxNonFiniteReports < 0)
            throw new ArgumentOutOfRangeException(nameof(maxNonFiniteReports), maxNonFiniteReports, "non-finite report limit must be ≥ 0");
        if (maxInFlight <= 0) throw new ArgumentOutOfRangeException(nameof(maxInFlight), maxInFlight, "in-flight limit must be positive");
        if (shards <= 0) throw new ArgumentOutOfRangeException(nameof(shards), shards, "shard count must be positive");
        MaxInFlight = maxInFlight ?? WorkerSettings.DefaultMaxInFlight(mode);
        Shards = shards;
        Mode = mode; MaxUpdates = maxUpdates; ModelShape = modelShape; Staleness = staleness;
        ValidateEvery = validateEvery; MaxNonFiniteReports = maxNonFiniteReports;
    }

    /// <summary>The actor-side part of the CLI's settings, for a model spec.</summary>
    public static TrainingRunSettings From(TrainSettings settings, ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(spec);
        return new TrainingRunSettings(settings.Mode, settings.Updates, ModelFingerprint.Of(spec).Shape, settings.Staleness, settings.EvalEvery,
            maxInFlight: settings.ExplicitMaxInFlight, shards: settings.Shards)
        { ClipNorm = settings.ClipNorm, ClipValue = settings.ClipValue }.WithPushRules(settings);
    }

    /// <summary>These settings with the CLI's push encoding and local steps (every run builds its workers' rules here).</summary>
    public TrainingRunSettings WithPushRules(TrainSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return this with
        {
            Encoding = settings.PushEncoding ?? throw new ArgumentException("the settings name no push encoding", nameof(settings)),
            LocalSteps = settings.LocalSteps,
            WeightsEncoding = settings.WeightsEncoding,
            LocalOptimizer = GradientEncoding.PushesDeltas(settings.PushEncoding, settings.LocalSteps)
                ? Optimizers.Create(settings.Optimizer, settings.LearningRate) : null,
        };
    }

    public ServerSettings ToServerSettings(int parameterCount, int workerCount, bool snapshotsForValidation) => new(
        Mode, new ModelFingerprint(parameterCount, ModelShape), MaxUpdates, Staleness,
        startQuorum: workerCount,
        observerSnapshotEvery: snapshotsForValidation ? ValidateEvery : 0,
        maxNonFiniteReports: MaxNonFiniteReports)
        {
            ClipNorm = ClipNorm, ClipValue = ClipValue,
            WeightsEncoding = WeightsEncoding, PushesDeltas = GradientEncoding.PushesDeltas(Encoding, LocalSteps),
        };

    /// <summary>Settings of server shard <paramref name="shard"/> of <paramref name="layout"/>: its slice's
    /// fingerprint, everything else as for one server (each shard counts its own updates).</summary>
    /// <param name="runSnapshots">Take run snapshots (<see cref="SnapshotEvery"/>); the workers' streams come from shard 0.</param>
    public ServerSettings ToServerSettings(Sharding.ShardLayout layout, int shard, int workerCount, bool snapshotsForValidation,
        bool runSnapshots = false)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return new(
            Mode, layout.Fingerprint(shard, ModelShape), MaxUpdates, Staleness,
            startQuorum: workerCount,
            observerSnapshotEvery: snapshotsForValidation ? ValidateEvery : 0,
            maxNonFiniteReports: MaxNonFiniteReports)
        {
            RunSnapshots = runSnapshots, SnapshotEvery = SnapshotEvery, SnapshotWorkers = shard == 0,
            ClipNorm = ClipNorm, ClipValue = ClipValue,
            WeightsEncoding = WeightsEncoding, PushesDeltas = GradientEncoding.PushesDeltas(Encoding, LocalSteps),
        };
    }

    public WorkerSettings ToWorkerSettings() => new(Mode, ModelShape, Staleness, MaxInFlight, Encoding, LocalSteps, LocalOptimizer);
}
