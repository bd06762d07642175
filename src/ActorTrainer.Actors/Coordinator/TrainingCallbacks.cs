using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Coordinator;

/// <summary>Validation loss of W at <paramref name="version"/>. W is read-only and valid only during the call.</summary>
public delegate double ValidationHook(ReadOnlySpan<float> weights, long version);

/// <summary>
/// What a host hears during a run. All callbacks run on the coordinator actor, one at a time, never
/// concurrently with each other; training goes on meanwhile on the workers' and server's threads.
/// A callback that throws fails the run with that exception.
/// </summary>
public sealed class TrainingCallbacks
{
    /// <summary>Every applied update, in order (progress, metrics).</summary>
    public Action<UpdateApplied>? OnUpdate { get; init; }

    /// <summary>Everything else reported: rejected gradients, non-finite gradients, workers leaving,
    /// refused registrations.</summary>
    public Action<ITrainerEvent>? OnEvent { get; init; }

    /// <summary>Computes validation loss every <see cref="TrainingRunSettings.ValidateEvery"/> updates
    /// and on the final weights.</summary>
    public ValidationHook? Validate { get; init; }

    /// <summary>Each validation result as it is computed.</summary>
    public Action<ValidationResult>? OnValidation { get; init; }

    /// <summary>Consistent snapshots of the run, taken without stopping it, for checkpoints: every
    /// <see cref="TrainingRunSettings.SnapshotEvery"/> updates and as the run ends (before its task completes;
    /// not when it diverged). Null: none are taken.</summary>
    public Action<RunSnapshot>? OnSnapshot { get; init; }
}
