using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Compression;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Worker;

/// <summary>Immutable, self-validating settings of one worker.</summary>
public sealed record WorkerSettings
{
    /// <summary>Must match the server's mode: it decides when the worker may compute again.</summary>
    public ConsistencyMode Mode { get; }

    /// <summary>Ssp bound s: never compute on weights more than s versions behind the newest
    /// version the worker has heard of.</summary>
    public int Staleness { get; }

    /// <summary>Shape string of the model (see <see cref="ModelFingerprint.Of"/>); with the
    /// computer's parameter count it forms the worker's fingerprint.</summary>
    public string ModelShape { get; }

    /// <summary>Flow control: at most this many pushes awaiting the server's answer. Without it a
    /// worker faster than the server floods its mailbox with ever staler gradients (async diverges,
    /// ssp rejects nearly everything). 1 = compute the next chunk on weights that include the last push.</summary>
    public int MaxInFlight { get; }

    /// <summary>
    /// The in-flight limit a run uses unless told otherwise. Async: 2 — with 1, a worker idles for
    /// every gradient's round trip (push, the server's turn on a busy core, the answer); with 2 it
    /// computes its next chunk meanwhile, on weights without its own last update (staleness ≥ 1,
    /// recorded like any other). Sync: 1 (a worker waits for the round's weights anyway). Ssp: 1 — the
    /// bound s is the user's staleness budget, and a second push spent it (docs/decisions.md#in-flight).
    /// </summary>
    public static int DefaultMaxInFlight(ConsistencyMode mode) => mode == ConsistencyMode.Async ? 2 : 1;

    /// <summary>What the worker does to a push before it leaves (fp32: nothing; see <see cref="GradientEncoding"/>).</summary>
    public GradientEncoding Encoding { get; }

    /// <summary>Local steps H: chunks applied to a local copy of W (with <see cref="LocalOptimizer"/>)
    /// before one push of the change; 1 = push every chunk's gradient (see <see cref="WorkerState"/>).</summary>
    public int LocalSteps { get; }

    /// <summary>When the worker pushes changes of W (<see cref="GradientEncoding.PushesDeltas"/>): the rule of its
    /// local steps (the run's optimizer; its state stays on the worker).</summary>
    public Optimizer? LocalOptimizer { get; }

    public WorkerSettings(ConsistencyMode mode, string modelShape, int staleness = 0, int maxInFlight = 1,
        GradientEncoding? encoding = null, int localSteps = 1, Optimizer? localOptimizer = null)
    {
        ArgumentNullException.ThrowIfNull(modelShape);
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown consistency mode");
        if (staleness < 0) throw new ArgumentOutOfRangeException(nameof(staleness), staleness, "staleness bound must be ≥ 0");
        if (maxInFlight <= 0) throw new ArgumentOutOfRangeException(nameof(maxInFlight), maxInFlight, "in-flight limit must be positive");
        if (localSteps <= 0) throw new ArgumentOutOfRangeException(nameof(localSteps), localSteps, "local steps must be positive");
        Encoding = encoding ?? GradientEncoding.Fp32;
        if (GradientEncoding.PushesDeltas(Encoding, localSteps) && localOptimizer is null)
            throw new ArgumentNullException(nameof(localOptimizer), "a worker that pushes changes of W (local steps, top-k) needs the optimizer that makes them");
        Mode = mode; ModelShape = modelShape; Staleness = staleness; MaxInFlight = maxInFlight;
        LocalSteps = localSteps; LocalOptimizer = localOptimizer;
    }
}
