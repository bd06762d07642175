using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Core.Rnn;
using static ActorTrainer.Core.Tests.Diagnostics.DiagTestKit;

namespace ActorTrainer.Core.Tests.Diagnostics;

public class GradientLagProfileTests
{
    private static readonly ModelSpec Spec = new(new ModelShape(4, 5, 4), Activation.Tanh);
    private static readonly float[] W = RandomFloats(Spec.Shape.Count, 0.7, seed: 41);
    private static readonly int[][] Seqs =
    {
        new[] { 0, 1, 2, 3, 2, 1, 0, 0, 3 },
        new[] { 3, 3, 1, 0, 2, 2, 1, 1, 0 },
    };

    [Fact]
    public void Norms_match_finite_differences_of_the_last_loss()
    {
        var p = GradientLagProfile.Measure(Spec, W, Seqs, maxLag: 8, update: 17);
        Assert.Equal(17, p.Update);
        Assert.Equal(8, p.MaxLag);
        var literal = new LiteralRnn(Spec, W);
        for (int k = 0; k <= 8; k++)
        {
            double expected = Seqs.Average(s => literal.LastLossGradientNormFd(s, 8, s[8], k));
            AssertClose(expected, p.NormByLag[k], 1e-7, $"lag {k}");
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.5)]
    public void Identity_phi_with_scaled_identity_Whh_shrinks_or_grows_by_a_per_step(double a)
    {
        var spec = Spec with { Phi = Activation.Identity };
        var w = (float[])W.Clone();
        var whh = spec.Shape.Whh(w.AsSpan());
        whh.Clear();
        for (int i = 0; i < 5; i++) whh[i * 5 + i] = (float)a;
        var p = GradientLagProfile.Measure(spec, w, Seqs, maxLag: 8);
        for (int k = 0; k <= 8; k++) AssertClose(Math.Pow(a, k) * p.NormByLag[0], p.NormByLag[k], 1e-12, $"lag {k}");
    }

    [Fact]
    public void Token_chunk_with_carried_state_matches_literal_finite_differences()
    {
        const int B = 2, T = 8;
        var chunk = Chunk.ForTokens(B, T);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) { chunk.InputTokens![t * B + b] = Seqs[b][t]; chunk.TargetTokens![t * B + b] = Seqs[b][t + 1]; }
        var hPrev = RandomFloats(B * 5, 0.5, seed: 42);
        var p = GradientLagProfile.Measure(Spec, W, chunk, hPrev, maxLag: T);
        var literal = new LiteralRnn(Spec, W);
        for (int k = 0; k <= T; k++)
        {
            double expected = Enumerable.Range(0, B).Average(b =>
                literal.LastLossGradientNormFd(Seqs[b], T, Seqs[b][T], k, hPrev.Skip(b * 5).Take(5).Select(x => (double)x).ToArray()));
            AssertClose(expected, p.NormByLag[k], 1e-6, $"lag {k}");
        }
    }

    [Fact]
    public void Dense_chunk_with_mse_uses_the_last_inputs_and_targets()
    {
        // identity φ, Whh = 0.8·I: g_k = 0.8^k · Whyᵀ (y_{T−1} − target), with h_{T−1} computed literally here
        var spec = new ModelSpec(new ModelShape(3, 4, 2), Activation.Identity, LossKind.MeanSquaredError);
        var s = spec.Shape;
        var w = RandomFloats(s.Count, 0.5, seed: 43);
        var whh = s.Whh(w.AsSpan());
        whh.Clear();
        for (int i = 0; i < 4; i++) whh[i * 4 + i] = 0.8f;
        const double a8 = 0.8f; // the float the model holds
        const int B = 1, T = 5;
        var chunk = Chunk.ForVectors(B, T, 3, 2);
        RandomFloats(T * 3, 1.0, seed: 44).CopyTo(chunk.InputVectors!, 0);
        RandomFloats(T * 2, 1.0, seed: 45).CopyTo(chunk.TargetVectors!, 0);

        var h = new double[4];
        for (int t = 0; t < T; t++)
        {
            var next = new double[4];
            for (int i = 0; i < 4; i++)
            {
                double a = a8 * h[i] + w[s.BhOffset + i];
                for (int v = 0; v < 3; v++) a += (double)w[s.WxhOffset + i * 3 + v] * chunk.InputVectors![t * 3 + v];
                next[i] = a;
            }
            h = next;
        }
        var g0 = new double[4];
        for (int o = 0; o < 2; o++)
        {
            double y = w[s.ByOffset + o];
            for (int i = 0; i < 4; i++) y += w[s.WhyOffset + o * 4 + i] * h[i];
            double dy = y - chunk.TargetVectors![(T - 1) * 2 + o];
            for (int i = 0; i < 4; i++) g0[i] += w[s.WhyOffset + o * 4 + i] * dy;
        }
        double n0 = Math.Sqrt(g0.Sum(x => x * x));
        var p = GradientLagProfile.Measure(spec, w, chunk, default, maxLag: T);
        for (int k = 0; k <= T; k++) AssertClose(Math.Pow(a8, k) * n0, p.NormByLag[k], 1e-12, $"lag {k}");
    }

    [Fact]
    public void Bad_inputs_throw_with_the_offending_value()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => GradientLagProfile.Measure(Spec, W, Seqs, maxLag: 9));
        Assert.Contains("9", ex.Message);
        var chunk = Chunk.ForVectors(1, 3, 4, 4);
        Assert.Throws<ArgumentException>(() => GradientLagProfile.Measure(Spec, W, chunk, default, 2)); // CE needs token targets
        var tokens = Chunk.ForTokens(2, 3);
        Assert.Throws<ArgumentException>(() => GradientLagProfile.Measure(Spec, W, tokens, new float[3], 2)); // hPrev not B·H
        Assert.Throws<ArgumentException>(() => GradientLagProfile.Measure(Spec with { Loss = LossKind.MeanSquaredError }, W, Seqs, 2));
    }
}
