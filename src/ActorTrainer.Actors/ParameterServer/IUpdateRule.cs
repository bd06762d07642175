using ActorTrainer.Core.Optim;

namespace ActorTrainer.Actors.ParameterServer;

/// <summary>
/// How the parameter server turns a gradient into a change of W: w ← rule(w, g), in place.
/// The rule owns its state (momentum, moments…) sized for one W; one instance per server.
/// This is the seam to the core's optimizers: <see cref="OptimizerUpdateRule"/> adapts
/// <c>Optimizer.Step(w, g, state)</c> to it.
/// </summary>
public interface IUpdateRule
{
    /// <summary>Applies gradient g (P) to w (P) in place, unless the result would hold NaN or ±∞ in w or
    /// the rule's state: then nothing changes and the outcome says so. g is read-only and not retained.</summary>
    UpdateOutcome Apply(Span<float> w, ReadOnlySpan<float> g);
}
