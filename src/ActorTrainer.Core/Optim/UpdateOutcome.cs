namespace ActorTrainer.Core.Optim;

/// <summary>What <see cref="Optimizer.TryStep"/> did with one gradient.</summary>
public enum UpdateOutcome
{
    /// <summary>W and the state were updated and W changed.</summary>
    Applied,
    /// <summary>W and the state were updated but no weight changed (zero gradient, lr = 0, or a frozen state).</summary>
    AppliedWithoutChange,
    /// <summary>Refused: the result would hold NaN or ±∞ in W or the state; nothing was changed.</summary>
    WouldBeNonFinite,
}
