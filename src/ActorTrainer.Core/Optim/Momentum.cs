using System.Numerics.Tensors;

namespace ActorTrainer.Core.Optim;

/// <summary>
/// Heavy-ball momentum: v ← μ·v + g;  w ← w − lr·v. Buffer "v" (velocity), starts at 0.
/// </summary>
public sealed class Momentum : Optimizer
{
    public const string Velocity = "v";

    /// <summary>μ ∈ [0, 1).</summary>
    public float Mu { get; }

    public Momentum(float lr, float mu = 0.9f) : base(lr)
    {
        Mu = ValidateUnitInterval(mu, nameof(mu));
    }

    public override string Name => "momentum";
    private static readonly string[] Names = [Velocity];
    public override IReadOnlyList<string> BufferNames => Names;

    protected override void Apply(ReadOnlySpan<float> w, ReadOnlySpan<float> g, OptimizerState s, Span<float> wOut, OptimizerState sOut, long t)
    {
        Span<float> vOut = sOut.Buffer(Velocity);
        TensorPrimitives.MultiplyAdd(s.Buffer(Velocity), Mu, g, vOut);   // v ← μ·v + g
        TensorPrimitives.MultiplyAdd(vOut, -LearningRate, w, wOut);      // w ← w − lr·v
    }

    public override string ToString() => $"{Name}(lr={LearningRate}, μ={Mu})";
}
