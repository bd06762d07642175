using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Coordinator;

/// <summary>Validation loss of W after <paramref name="UpdateNumber"/> updates (version <paramref name="Version"/>).</summary>
public sealed record ValidationResult(long Version, long UpdateNumber, double Loss);

/// <summary>
/// The outcome of a run: final W (P, owned by the caller), its version, why the run ended, the
/// parameter server's counters and the validation results in order. Sharded: W joined from the
/// shards, <see cref="Version"/> the smallest shard version and <see cref="Stats"/> combined by
/// <see cref="ServerStats.Combine"/>; <see cref="ShardStats"/> has each shard's own.
/// </summary>
public sealed record TrainingResult(
    float[] Weights, long Version, CompletionReason Reason, string Detail,
    ServerStats Stats, IReadOnlyList<ValidationResult> Validations)
{
    /// <summary>Each shard's counters, by shard (one entry when unsharded).</summary>
    public IReadOnlyList<ServerStats> ShardStats { get; init; } = [];

    /// <summary>Each shard's measured load (busy time, tensor bytes), by shard.</summary>
    public IReadOnlyList<ServerLoadReported> ServerLoads { get; init; } = [];
}
