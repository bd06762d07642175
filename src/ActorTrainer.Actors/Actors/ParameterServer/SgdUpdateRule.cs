using System.Numerics.Tensors;

namespace ActorTrainer.Actors.ParameterServer;

/// <summary>Plain SGD: w ← w − η·g. Stateless.</summary>
public sealed class SgdUpdateRule : IUpdateRule
{
    public float LearningRate { get; }

    public SgdUpdateRule(float learningRate)
    {
        if (!float.IsFinite(learningRate) || learningRate < 0)
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be finite and ≥ 0");
        LearningRate = learningRate;
    }

    public void Apply(Span<float> w, ReadOnlySpan<float> g)
    {
        if (g.Length != w.Length)
            throw new ArgumentException($"gradient length {g.Length} differs from W length {w.Length}", nameof(g));
        // w += (−η)·g
        TensorPrimitives.MultiplyAdd(g, -LearningRate, w, w);
    }
}
