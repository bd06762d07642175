namespace ActorTrainer.Core.Optim;

/// <summary>
/// An update rule w ← update(w, g, state). The optimizer itself is stateless and immutable (only
/// hyper-parameters); all per-parameter state lives in an <see cref="OptimizerState"/> owned by the
/// caller. Every rule is elementwise, so it works on any slice of W with the matching slice state.
/// </summary>
public abstract class Optimizer
{
    /// <summary>Short lower-case name ("sgd", "momentum", "adagrad", "adam"), as accepted by <see cref="Optimizers.Create"/>.</summary>
    public abstract string Name { get; }

    /// <summary>Step size lr (finite, ≥ 0).</summary>
    public float LearningRate { get; }

    protected Optimizer(float learningRate)
    {
        LearningRate = ValidateLearningRate(learningRate);
    }

    /// <summary>Names of the state buffers this rule keeps (empty for plain SGD).</summary>
    public abstract IReadOnlyList<string> BufferNames { get; }

    /// <summary>Zeroed state for n parameters.</summary>
    public OptimizerState CreateState(int n) => OptimizerState.Zeros(n, BufferNames.ToArray());

    /// <summary>
    /// One update of w (length n) with gradient g (length n) and state s (covering n parameters);
    /// w and s are updated in place and s.StepCount is incremented. w and g must not overlap.
    /// Throws ArgumentException when the lengths disagree or s lacks this rule's buffers.
    /// </summary>
    public void Step(Span<float> w, ReadOnlySpan<float> g, OptimizerState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (w.Length != g.Length)
            throw new ArgumentException($"weights have length {w.Length} but the gradient has length {g.Length}", nameof(g));
        if (s.Length != w.Length)
            throw new ArgumentException($"optimizer state covers {s.Length} parameters but the weights have {w.Length}", nameof(s));
        s.StepCount++;
        try { Apply(w, g, s); }
        catch { s.StepCount--; throw; }
    }

    /// <summary>The rule itself; lengths are already checked and s.StepCount is the step being taken (1 on the first).</summary>
    protected abstract void Apply(Span<float> w, ReadOnlySpan<float> g, OptimizerState s);

    public override string ToString() => $"{Name}(lr={LearningRate})";

    internal static float ValidateLearningRate(float lr)
    {
        if (!float.IsFinite(lr) || lr < 0)
            throw new ArgumentException($"learning rate must be finite and ≥ 0, got {lr}", "lr");
        return lr;
    }

    private protected static float ValidateUnitInterval(float x, string name)
    {
        if (!(x >= 0 && x < 1)) throw new ArgumentOutOfRangeException(name, x, $"{name} must be in [0, 1)");
        return x;
    }

    private protected static float ValidateEpsilon(float eps)
    {
        if (!float.IsFinite(eps) || eps <= 0) throw new ArgumentOutOfRangeException(nameof(eps), eps, "ε must be finite and > 0");
        return eps;
    }
}
