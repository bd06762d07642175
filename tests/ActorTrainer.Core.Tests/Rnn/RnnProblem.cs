using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;
using ActorTrainer.Core.Tests.TestUtil;

namespace ActorTrainer.Core.Tests.Rnn;

/// <summary>
/// A small random RNN problem: model spec, a whole sequence (N steps of B streams as one Chunk), W and h0.
/// CE problems use token inputs and targets; MSE problems dense inputs and targets.
/// </summary>
internal sealed record RnnProblem(ModelSpec Spec, Chunk Seq, float[] W, float[] H0)
{
    public int B => Seq.B;
    public int N => Seq.T;
    public double[] WD => Numeric.ToDouble(W);
    public double[] H0D => Numeric.ToDouble(H0);

    /// <param name="rho">Spectral radius of Whh: near 1 so gradients travel far and truncation matters.</param>
    /// <param name="tokenInputs">Token (one-hot) inputs; default: tokens for cross-entropy, dense for MSE.</param>
    public static RnnProblem Create(Activation phi, LossKind loss, int v, int h, int o, int b, int n, int seed, double rho = 0.9,
        bool? tokenInputs = null)
    {
        bool tokens = tokenInputs ?? loss == LossKind.SoftmaxCrossEntropy;
        var spec = new ModelSpec(new ModelShape(v, h, o), phi, loss);
        var rng = new Random(seed);
        float[] w = Initializer.Create(spec.Shape, seed, new InitOptions(Scale: 1.5, WhhSpectralRadius: rho));
        // non-zero biases so dBh/dBy are exercised; relu gets a positive shift to keep units alive
        Span<float> bh = spec.Shape.Bh(w.AsSpan()), by = spec.Shape.By(w.AsSpan());
        for (int i = 0; i < bh.Length; i++) bh[i] = U(rng, 0.3f) + (phi == Activation.Relu ? 0.2f : 0f);
        for (int i = 0; i < by.Length; i++) by[i] = U(rng, 0.3f);
        var h0 = new float[b * h];
        for (int i = 0; i < h0.Length; i++) h0[i] = U(rng, 0.5f);

        Chunk seq = Chunk.Mixed(b, n, tokens, v, loss == LossKind.SoftmaxCrossEntropy, o);
        if (seq.InputTokens is { } xt) for (int i = 0; i < xt.Length; i++) xt[i] = rng.Next(v);
        if (seq.InputVectors is { } xv) for (int i = 0; i < xv.Length; i++) xv[i] = U(rng, 1f);
        if (seq.TargetTokens is { } yt) for (int i = 0; i < yt.Length; i++) yt[i] = rng.Next(o);
        if (seq.TargetVectors is { } yv) for (int i = 0; i < yv.Length; i++) yv[i] = U(rng, 1f);
        return new RnnProblem(spec, seq, w, h0);
    }

    private static float U(Random rng, float a) => (float)((2 * rng.NextDouble() - 1) * a);

    /// <summary>Copies steps [t0, t0+T) of the sequence into dst and sets dst.T = T.</summary>
    public void CopySteps(int t0, int T, Chunk dst)
    {
        int B = Seq.B, V = Spec.Shape.V, O = Spec.Shape.O;
        dst.T = T;
        if (Seq.InputTokens is { } xt) xt.AsSpan(t0 * B, T * B).CopyTo(dst.InputTokens);
        if (Seq.InputVectors is { } xv) xv.AsSpan(t0 * B * V, T * B * V).CopyTo(dst.InputVectors);
        if (Seq.TargetTokens is { } yt) yt.AsSpan(t0 * B, T * B).CopyTo(dst.TargetTokens);
        if (Seq.TargetVectors is { } yv) yv.AsSpan(t0 * B * O, T * B * O).CopyTo(dst.TargetVectors);
    }

    /// <summary>A chunk buffer of the sequence's kinds with room for maxT steps.</summary>
    public Chunk NewChunk(int maxT) =>
        Chunk.Mixed(B, maxT, Seq.InputTokens is not null, Spec.Shape.V, Seq.TargetTokens is not null, Spec.Shape.O);

    /// <summary>Steps [t0, t0+T) as a fresh sequence of its own.</summary>
    public Chunk SubSequence(int t0, int T)
    {
        Chunk c = NewChunk(T);
        CopySteps(t0, T, c);
        return c;
    }

    /// <summary>
    /// Feeds the sequence to a fresh engine chunk by chunk (lengths in order, summing to N) at the fixed W,
    /// and returns the SUM loss and the SUM gradient (each chunk's mean gradient × B·T) and the last h.
    /// </summary>
    public (double Loss, double[] Grad, float[] HLast) RunEngine(TruncationScheme scheme, params int[] chunkLengths)
        => RunEngine(scheme, chunkLengths.Max(), chunkLengths);

    /// <inheritdoc cref="RunEngine(TruncationScheme, int[])"/>
    public (double Loss, double[] Grad, float[] HLast) RunEngine(TruncationScheme scheme, int maxT, int[] chunkLengths)
    {
        Assert.Equal(N, chunkLengths.Sum());
        var engine = new BpttEngine(Spec, scheme, B, maxT);
        Chunk chunk = NewChunk(maxT);
        float[] h = (float[])H0.Clone();
        var g = new float[Spec.Shape.Count];
        var sum = new double[Spec.Shape.Count];
        double loss = 0;
        int t0 = 0;
        foreach (int T in chunkLengths)
        {
            CopySteps(t0, T, chunk);
            loss += (double)engine.ForwardBackward(W, chunk, h, g) * B * T;
            for (int i = 0; i < g.Length; i++) sum[i] += (double)g[i] * B * T;
            t0 += T;
        }
        return (loss, sum, h);
    }

    /// <summary>The reference's SUM loss and truncated SUM gradient over the whole sequence.</summary>
    public (double Loss, double[] Grad) RunReference(TruncationScheme scheme)
    {
        var g = new double[Spec.Shape.Count];
        double loss = BpttReference.LossAndGradient(Spec, scheme, WD, Seq, H0D, g);
        return (loss, g);
    }

    /// <summary>Chunk lengths of T steps, the last one shorter if T does not divide N.</summary>
    public int[] Chunks(int T)
    {
        var list = new List<int>();
        for (int t0 = 0; t0 < N; t0 += T) list.Add(Math.Min(T, N - t0));
        return list.ToArray();
    }
}
