namespace ActorTrainer.Core.Optim;

/// <summary>
/// Adam with bias correction, at step t = s.StepCount (1 on the first update):
/// m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
/// m̂ = m / (1−β1ᵗ);  v̂ = v / (1−β2ᵗ);  w ← w − lr·m̂ / (√v̂ + ε).
/// Buffers "m" and "v", start at 0.
/// </summary>
public sealed class Adam : Optimizer
{
    public const string FirstMoment = "m";
    public const string SecondMoment = "v";

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }

    public Adam(float lr, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f) : base(lr)
    {
        Beta1 = ValidateUnitInterval(beta1, nameof(beta1));
        Beta2 = ValidateUnitInterval(beta2, nameof(beta2));
        Epsilon = ValidateEpsilon(eps);
    }

    public override string Name => "adam";
    private static readonly string[] Names = [FirstMoment, SecondMoment];
    public override IReadOnlyList<string> BufferNames => Names;

    protected override void Apply(ReadOnlySpan<float> w, ReadOnlySpan<float> g, OptimizerState s, Span<float> wOut, OptimizerState sOut, long t)
    {
        ReadOnlySpan<float> m = s.Buffer(FirstMoment), v = s.Buffer(SecondMoment);
        Span<float> mOut = sOut.Buffer(FirstMoment), vOut = sOut.Buffer(SecondMoment);
        // Bias corrections in double: β2ᵗ is close to 1 for many steps.
        float c1 = (float)(1.0 / (1.0 - Math.Pow(Beta1, t)));
        float sqrtC2 = (float)Math.Sqrt(1.0 / (1.0 - Math.Pow(Beta2, t))); // √v̂ = √v·√c2: v·c2 itself could overflow
        float b1 = Beta1, b2 = Beta2, lr = LearningRate, eps = Epsilon;
        for (int i = 0; i < w.Length; i++)
        {
            float mi = b1 * m[i] + (1 - b1) * g[i];
            // ((1−β2)·g)·g: scaled before squaring, so it overflows only where v itself would (and TryStep refuses that).
            float vi = b2 * v[i] + (1 - b2) * g[i] * g[i];
            mOut[i] = mi;
            vOut[i] = vi;
            float mHat = mi * c1;
            wOut[i] = w[i] - lr * mHat / (MathF.Sqrt(vi) * sqrtC2 + eps);
        }
    }

    public override string ToString() => $"{Name}(lr={LearningRate}, β1={Beta1}, β2={Beta2}, ε={Epsilon})";
}
