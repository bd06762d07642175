using ActorTrainer.Core.Optim;

namespace ActorTrainer.Actors.ParameterServer;

/// <summary>
/// Adapts a core <see cref="Optimizer"/> to the server: the server owns the optimizer state,
/// created for the whole W on first use or restored from a checkpoint.
/// </summary>
public sealed class OptimizerUpdateRule : IUpdateRule
{
    public Optimizer Optimizer { get; }

    /// <summary>The optimizer's state (null until the first update unless given).</summary>
    public OptimizerState? State { get; private set; }

    public OptimizerUpdateRule(Optimizer optimizer, OptimizerState? state = null)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        State = state;
    }

    /// <summary>Plain SGD, w ← w − η·g.</summary>
    public static OptimizerUpdateRule Sgd(float learningRate) => new(new Sgd(learningRate));

    public void Apply(Span<float> w, ReadOnlySpan<float> g)
    {
        if (g.Length != w.Length)
            throw new ArgumentException($"gradient length {g.Length} differs from W length {w.Length}", nameof(g));
        State ??= Optimizer.CreateState(w.Length);
        Optimizer.Step(w, g, State);
    }
}
