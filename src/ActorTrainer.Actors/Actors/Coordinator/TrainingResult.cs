using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Coordinator;

/// <summary>Validation loss of W after <paramref name="UpdateNumber"/> updates (version <paramref name="Version"/>).</summary>
public sealed record ValidationResult(long Version, long UpdateNumber, double Loss);

/// <summary>
/// The outcome of a run: final W (P, owned by the caller), its version, why the run ended, the
/// parameter server's counters and the validation results in order.
/// </summary>
public sealed record TrainingResult(
    float[] Weights, long Version, CompletionReason Reason, string Detail,
    ServerStats Stats, IReadOnlyList<ValidationResult> Validations);
