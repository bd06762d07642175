using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;
using ActorTrainer.Core.Tests.TestUtil;

namespace ActorTrainer.Core.Tests.Rnn;

/// <summary>The literal double reference against finite differences and against hand-derived formulas.</summary>
public class BpttReferenceTests
{
    private const double FdTolerance = 1e-5;

    /// <summary>A problem whose pre-activations all stay ≥ 2e-3 away from 0, so relu has no kink within the FD stencil.</summary>
    private static RnnProblem AwayFromKinks(Activation phi, LossKind loss, int v, int h, int o, int b, int n, int seed)
    {
        for (int s = seed; ; s++)
        {
            RnnProblem p = RnnProblem.Create(phi, loss, v, h, o, b, n, s);
            double[] a = BpttReference.Forward(p.Spec, p.WD, p.Seq, p.H0D).A;
            if (phi != Activation.Relu || a.Min(Math.Abs) > 2e-3) return p;
        }
    }

    private static void AssertGradientMatchesFd(RnnProblem p, double[] analytic, Func<double[], double> loss, string what)
    {
        double[] w = p.WD;
        foreach (var (name, offset, dims) in p.Spec.Shape.Blocks)
        {
            int[] idx = FiniteDifferences.Entries([(name, offset, dims)]).ToArray();
            double[] fd = idx.Select(i => FiniteDifferences.Derivative(loss, w, i)).ToArray();
            double[] an = idx.Select(i => analytic[i]).ToArray();
            Assert.True(Numeric.MaxAbs(an) > 1e-6, $"{what}: {name} has a vanishing gradient, the check would be empty");
            Numeric.AssertClose(fd, an, FdTolerance, $"{what} {name}");
        }
    }

    [Theory]
    [InlineData(Activation.Tanh, LossKind.SoftmaxCrossEntropy)]
    [InlineData(Activation.Identity, LossKind.SoftmaxCrossEntropy)]
    [InlineData(Activation.Relu, LossKind.SoftmaxCrossEntropy)]
    [InlineData(Activation.Tanh, LossKind.MeanSquaredError)]
    [InlineData(Activation.Identity, LossKind.MeanSquaredError)]
    [InlineData(Activation.Relu, LossKind.MeanSquaredError)]
    public void Full_gradient_matches_central_differences_of_the_loss_in_every_block(Activation phi, LossKind loss)
    {
        RnnProblem p = loss == LossKind.SoftmaxCrossEntropy
            ? AwayFromKinks(phi, loss, v: 5, h: 4, o: 5, b: 2, n: 6, seed: 11)
            : AwayFromKinks(phi, loss, v: 3, h: 4, o: 2, b: 2, n: 6, seed: 11);
        var scheme = new TruncationScheme.Full();
        var g = new double[p.Spec.Shape.Count];
        double l = BpttReference.LossAndGradient(p.Spec, scheme, p.WD, p.Seq, p.H0D, g);

        Numeric.AssertClose(BpttReference.Loss(p.Spec, p.WD, p.Seq, p.H0D), l, 1e-12, "loss");
        AssertGradientMatchesFd(p, g, w => BpttReference.Loss(p.Spec, w, p.Seq, p.H0D), $"{phi}/{loss}");
    }

    [Theory]
    [InlineData(Activation.Tanh, LossKind.SoftmaxCrossEntropy)]
    [InlineData(Activation.Relu, LossKind.MeanSquaredError)]
    public void Full_gradient_matches_central_differences_on_a_sample_of_larger_blocks(Activation phi, LossKind loss)
    {
        RnnProblem p = AwayFromKinks(phi, loss, v: 12, h: 9, o: loss == LossKind.SoftmaxCrossEntropy ? 12 : 10, b: 2, n: 5, seed: 3);
        var g = new double[p.Spec.Shape.Count];
        BpttReference.LossAndGradient(p.Spec, new TruncationScheme.Full(), p.WD, p.Seq, p.H0D, g);
        AssertGradientMatchesFd(p, g, w => BpttReference.Loss(p.Spec, w, p.Seq, p.H0D), $"{phi}/{loss} large");
    }

    public static TheoryData<string, Activation, LossKind> TruncatedCases => new()
    {
        { "k(0)", Activation.Tanh, LossKind.SoftmaxCrossEntropy },
        { "k(2)", Activation.Tanh, LossKind.SoftmaxCrossEntropy },
        { "k(2)", Activation.Relu, LossKind.MeanSquaredError },
        { "k(3)", Activation.Identity, LossKind.MeanSquaredError },
        { "subsequence(2)", Activation.Tanh, LossKind.MeanSquaredError },
        { "subsequence(3)", Activation.Relu, LossKind.SoftmaxCrossEntropy },
        { "subsequence(4)", Activation.Identity, LossKind.SoftmaxCrossEntropy },
    };

    internal static TruncationScheme Parse(string s) => s switch
    {
        "full" => new TruncationScheme.Full(),
        _ when s.StartsWith("k(") => new TruncationScheme.KStep(int.Parse(s[2..^1])),
        _ when s.StartsWith("subsequence(") => new TruncationScheme.Subsequence(int.Parse(s[12..^1])),
        _ => throw new ArgumentException(s),
    };

    [Theory]
    [MemberData(nameof(TruncatedCases))]
    public void Truncated_gradient_matches_central_differences_of_the_truncated_loss(string schemeName, Activation phi, LossKind loss)
    {
        TruncationScheme scheme = Parse(schemeName);
        RnnProblem p = loss == LossKind.SoftmaxCrossEntropy
            ? AwayFromKinks(phi, loss, v: 4, h: 3, o: 4, b: 2, n: 7, seed: 21)
            : AwayFromKinks(phi, loss, v: 3, h: 3, o: 2, b: 2, n: 7, seed: 21);
        double[] w0 = p.WD;
        var g = new double[p.Spec.Shape.Count];
        double l = BpttReference.LossAndGradient(p.Spec, scheme, w0, p.Seq, p.H0D, g);

        // at w = wFrozen the truncated loss is the loss
        Numeric.AssertClose(l, BpttReference.TruncatedLoss(p.Spec, scheme, w0, w0, p.Seq, p.H0D), 1e-12, "truncated loss at wFrozen");
        AssertGradientMatchesFd(p, g, w => BpttReference.TruncatedLoss(p.Spec, scheme, w, w0, p.Seq, p.H0D), schemeName);

        // and the truncation really cuts something: the full gradient is measurably different
        var full = new double[g.Length];
        BpttReference.LossAndGradient(p.Spec, new TruncationScheme.Full(), w0, p.Seq, p.H0D, full);
        Assert.True(Numeric.RelativeDifference(g, full) > 1e-3, $"{schemeName}: indistinguishable from full BPTT on this problem");
    }

    [Theory]
    [InlineData(Activation.Tanh, LossKind.SoftmaxCrossEntropy)]
    [InlineData(Activation.Identity, LossKind.MeanSquaredError)]
    public void Schemes_with_k_at_least_the_sequence_length_equal_full(Activation phi, LossKind loss)
    {
        RnnProblem p = RnnProblem.Create(phi, loss, 4, 3, loss == LossKind.SoftmaxCrossEntropy ? 4 : 2, 2, 6, seed: 5);
        double[] full = p.RunReference(new TruncationScheme.Full()).Grad;
        Assert.Equal(full, p.RunReference(new TruncationScheme.Subsequence(6)).Grad);
        Assert.Equal(full, p.RunReference(new TruncationScheme.Subsequence(9)).Grad);
        Assert.Equal(full, p.RunReference(new TruncationScheme.KStep(6)).Grad);
        Assert.Equal(full, p.RunReference(new TruncationScheme.KStep(5)).Grad);   // t − 5 ≤ 0 for every t < 6
        Assert.NotEqual(full, p.RunReference(new TruncationScheme.KStep(4)).Grad);
    }

    /// <summary>
    /// Scalar identity RNN (V = H = O = 1), MSE, T = 3: h_t = w·h_{t−1} + u·x_t + b, y_t = c·h_t + d, e_t = y_t − z_t.
    /// By hand, ∂̃L_t/∂w = c·e_t·Σ_{s=f(t)}^{t} w^{t−s}·h_{s−1} (likewise x_s for u, 1 for b); ∂L_t/∂c = e_t·h_t, ∂L_t/∂d = e_t.
    /// </summary>
    [Theory]
    [InlineData("full", new[] { 0, 0, 0 })]
    [InlineData("k(0)", new[] { 0, 1, 2 })]
    [InlineData("k(1)", new[] { 0, 0, 1 })]
    [InlineData("subsequence(2)", new[] { 0, 0, 2 })]
    [InlineData("subsequence(1)", new[] { 0, 1, 2 })]
    public void Scalar_identity_rnn_gradient_equals_the_hand_derived_truncated_sums(string schemeName, int[] f)
    {
        TruncationScheme scheme = Parse(schemeName);
        for (int t = 0; t < 3; t++) Assert.Equal(f[t], scheme.EarliestStep(t));

        var spec = new ModelSpec(new ModelShape(1, 1, 1), Activation.Identity, LossKind.MeanSquaredError);
        double u = 0.7, w = -0.9, b = 0.2, c = 1.3, d = -0.1, h0 = 0.4;
        double[] x = [0.5, -1.0, 2.0], z = [1.0, 0.25, -0.5];
        Chunk seq = Chunk.ForVectors(1, 3, 1, 1);
        for (int t = 0; t < 3; t++) { seq.InputVectors![t] = (float)x[t]; seq.TargetVectors![t] = (float)z[t]; }
        x = seq.InputVectors!.Select(v => (double)v).ToArray();       // use exactly the stored values
        z = seq.TargetVectors!.Select(v => (double)v).ToArray();

        double[] h = new double[3], e = new double[3];
        double[] hPrev(int s) => [s == 0 ? h0 : h[s - 1]];
        for (int t = 0; t < 3; t++) { h[t] = w * hPrev(t)[0] + u * x[t] + b; e[t] = c * h[t] + d - z[t]; }
        double gu = 0, gw = 0, gb = 0, gc = 0, gd = 0;
        for (int t = 0; t < 3; t++)
        {
            gc += e[t] * h[t];
            gd += e[t];
            for (int s = f[t]; s <= t; s++)
            {
                double back = c * e[t] * Math.Pow(w, t - s);
                gu += back * x[s];
                gw += back * hPrev(s)[0];
                gb += back;
            }
        }

        var grad = new double[5];
        BpttReference.LossAndGradient(spec, scheme, [u, w, b, c, d], seq, [h0], grad);
        Numeric.AssertClose(new[] { gu, gw, gb, gc, gd }, grad, 1e-12, schemeName, floor: 0);
    }

    [Fact]
    public void Forward_trajectory_follows_the_recurrence_from_h0()
    {
        RnnProblem p = RnnProblem.Create(Activation.Tanh, LossKind.SoftmaxCrossEntropy, 3, 2, 3, 1, 2, seed: 1);
        var t = BpttReference.Forward(p.Spec, p.WD, p.Seq, p.H0D);
        ModelShape s = p.Spec.Shape;
        double[] w = p.WD;
        for (int step = 0; step < 2; step++)
        for (int i = 0; i < 2; i++)
        {
            double hp0 = step == 0 ? p.H0[0] : t.H[0], hp1 = step == 0 ? p.H0[1] : t.H[1];
            double a = w[s.WxhOffset + i * 3 + p.Seq.InputTokens![step]] + w[s.WhhOffset + i * 2] * hp0
                       + w[s.WhhOffset + i * 2 + 1] * hp1 + w[s.BhOffset + i];
            Assert.Equal(a, t.A[step * 2 + i], 12);
            Assert.Equal(Math.Tanh(a), t.H[step * 2 + i], 12);
        }
    }
}
