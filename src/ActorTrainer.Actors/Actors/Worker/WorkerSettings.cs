using ActorTrainer.Actors.ParameterServer;
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

    public WorkerSettings(ConsistencyMode mode, string modelShape, int staleness = 0)
    {
        ArgumentNullException.ThrowIfNull(modelShape);
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown consistency mode");
        if (staleness < 0) throw new ArgumentOutOfRangeException(nameof(staleness), staleness, "staleness bound must be ≥ 0");
        Mode = mode; ModelShape = modelShape; Staleness = staleness;
    }
}
