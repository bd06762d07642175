using System.Numerics.Tensors;

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
        Validate(w.Length, g.Length, s);
        Apply(w, g, s, w, s, s.StepCount + 1);
        s.StepCount++;
    }

    /// <summary>
    /// <see cref="Step"/> that never leaves w or s non-finite: the update is computed into
    /// <paramref name="spare"/> (W's length, its contents overwritten) and <paramref name="spareState"/>
    /// (a state of this rule, same length), checked, and only then taken — w copied back, the state's
    /// buffers swapped with the spare's. A refused update (<see cref="UpdateOutcome.WouldBeNonFinite"/>)
    /// changes nothing in w or s, not even the step count.
    /// </summary>
    public UpdateOutcome TryStep(Span<float> w, ReadOnlySpan<float> g, OptimizerState s, Span<float> spare, OptimizerState spareState)
    {
        Validate(w.Length, g.Length, s);
        ArgumentNullException.ThrowIfNull(spareState);
        if (spare.Length != w.Length || spareState.Length != s.Length || ReferenceEquals(spareState, s))
            throw new ArgumentException("the spare W and state must be distinct and of W's length", nameof(spare));
        Apply(w, g, s, spare, spareState, s.StepCount + 1);
        if (!TensorPrimitives.IsFiniteAll<float>(spare) || !spareState.IsFinite()) return UpdateOutcome.WouldBeNonFinite;
        bool changed = !w.SequenceEqual(spare);
        spare.CopyTo(w);
        s.SwapBuffers(spareState);
        s.StepCount++;
        return changed ? UpdateOutcome.Applied : UpdateOutcome.AppliedWithoutChange;
    }

    private void Validate(int w, int g, OptimizerState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (w != g)
            throw new ArgumentException($"weights have length {w} but the gradient has length {g}", nameof(g));
        if (s.Length != w)
            throw new ArgumentException($"optimizer state covers {s.Length} parameters but the weights have {w}", nameof(s));
    }

    /// <summary>
    /// The rule itself, out of place: reads w, g and s, writes wOut and sOut (which may be w and s
    /// themselves: every rule is elementwise, reading element i before writing it). Lengths are checked;
    /// <paramref name="t"/> is the step being taken (1 on the first).
    /// </summary>
    protected abstract void Apply(ReadOnlySpan<float> w, ReadOnlySpan<float> g, OptimizerState s, Span<float> wOut, OptimizerState sOut, long t);

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
