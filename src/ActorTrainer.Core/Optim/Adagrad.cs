namespace ActorTrainer.Core.Optim;

/// <summary>
/// Adagrad: G ← G + g²;  w ← w − lr·g / (√G + ε). Buffer "G" (sum of squared gradients), starts at 0.
/// </summary>
public sealed class Adagrad : Optimizer
{
    public const string SumSquares = "G";

    public float Epsilon { get; }

    public Adagrad(float lr, float eps = 1e-8f) : base(lr)
    {
        Epsilon = ValidateEpsilon(eps);
    }

    public override string Name => "adagrad";
    private static readonly string[] Names = [SumSquares];
    public override IReadOnlyList<string> BufferNames => Names;

    protected override void Apply(ReadOnlySpan<float> w, ReadOnlySpan<float> g, OptimizerState s, Span<float> wOut, OptimizerState sOut, long t)
    {
        ReadOnlySpan<float> G = s.Buffer(SumSquares);
        Span<float> GOut = sOut.Buffer(SumSquares);
        float lr = LearningRate, eps = Epsilon;
        for (int i = 0; i < w.Length; i++)
        {
            float Gi = G[i] + g[i] * g[i]; // overflows only where G itself would (and TryStep refuses that)
            GOut[i] = Gi;
            wOut[i] = w[i] - lr * g[i] / (MathF.Sqrt(Gi) + eps);
        }
    }

    public override string ToString() => $"{Name}(lr={LearningRate}, ε={Epsilon})";
}
