using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Coordinator;

/// <summary>
/// What every observer of a run (the in-process coordinator, the cluster's observer) keeps the same
/// way: the validations of W snapshots through the host's hook, the final validation at completion,
/// and the run's task, failed by a throwing callback. Plain state owned by one actor.
/// </summary>
internal sealed class RunValidations(TrainingCallbacks callbacks, TaskCompletionSource<TrainingResult> completion)
{
    private readonly List<ValidationResult> _validations = new();
    private long _lastValidatedVersion = -1;

    /// <summary>Validation loss of <paramref name="weights"/> (if the host has a hook), reported to the host.</summary>
    public void Validate(float[] weights, long version, long updateNumber)
    {
        if (callbacks.Validate is not { } validate) return;
        var result = new ValidationResult(version, updateNumber, validate(weights, version));
        _lastValidatedVersion = version;
        _validations.Add(result);
        callbacks.OnValidation?.Invoke(result);
    }

    /// <summary>Completes the run with <paramref name="final"/>, validating the final W unless that
    /// version was just validated; <paramref name="decorate"/> adds what only one kind of run knows.</summary>
    public void Complete(TrainingCompleted final, Func<TrainingResult, TrainingResult>? decorate = null)
    {
        if (final.Version != _lastValidatedVersion) Validate(final.Weights, final.Version, final.Stats.Updates);
        var result = new TrainingResult(final.Weights, final.Version, final.Reason, final.Detail, final.Stats, _validations.ToArray());
        completion.TrySetResult(decorate is null ? result : decorate(result));
    }

    /// <summary>Runs a callback; if it throws, fails the run with that exception and returns false
    /// (the actor then stops itself).</summary>
    public bool Guard(Action action)
    {
        try { action(); return true; }
        catch (Exception ex) { Fail(ex); return false; }
    }

    public void Fail(Exception ex) => completion.TrySetException(ex);
}
