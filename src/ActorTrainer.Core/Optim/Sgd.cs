using System.Numerics.Tensors;

namespace ActorTrainer.Core.Optim;

/// <summary>Plain stochastic gradient descent: w ← w − lr·g. Keeps no buffers (only the step count).</summary>
public sealed class Sgd(float lr) : Optimizer(lr)
{
    public override string Name => "sgd";
    private static readonly string[] NoBuffers = [];
    public override IReadOnlyList<string> BufferNames => NoBuffers;

    protected override void Apply(ReadOnlySpan<float> w, ReadOnlySpan<float> g, OptimizerState s, Span<float> wOut, OptimizerState sOut, long t) =>
        TensorPrimitives.MultiplyAdd(g, -LearningRate, w, wOut); // w ← g·(−lr) + w
}
