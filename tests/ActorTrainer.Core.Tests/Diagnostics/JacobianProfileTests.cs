using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Core.Rnn;
using static ActorTrainer.Core.Tests.Diagnostics.DiagTestKit;

namespace ActorTrainer.Core.Tests.Diagnostics;

public class JacobianProfileTests
{
    private static int[][] RandomSequences(int count, int length, int v, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, length).Select(_ => rng.Next(v)).ToArray()).ToArray();
    }

    /// <summary>Random W (std 0.5) with Whh replaced by a·I.</summary>
    private static float[] WithScaledIdentityWhh(ModelShape s, float a, int seed)
    {
        var w = RandomFloats(s.Count, 0.5, seed);
        var whh = s.Whh(w.AsSpan());
        whh.Clear();
        for (int i = 0; i < s.H; i++) whh[i * s.H + i] = a;
        return w;
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    public void Identity_phi_with_scaled_identity_Whh_gives_a_to_the_k(double a)
    {
        var spec = new ModelSpec(new ModelShape(4, 5, 4), Activation.Identity);
        var w = WithScaledIdentityWhh(spec.Shape, (float)a, seed: 1);
        var seqs = RandomSequences(3, 40, 4, seed: 2);
        const int K = 30;
        var spectral = JacobianProfile.Compute(spec, w, seqs, K);
        var frobenius = JacobianProfile.Compute(spec, w, seqs, K, MatrixNorm.Frobenius);
        Assert.Equal(Enumerable.Range(1, K), spectral.Rows.Select(r => r.Lag));
        foreach (var r in spectral.Rows)
        {
            double expected = Math.Pow(a, r.Lag);
            AssertClose(expected, r.Min, 1e-12, $"min at lag {r.Lag}");
            AssertClose(expected, r.Max, 1e-12, $"max at lag {r.Lag}");
            AssertClose(expected, r.Mean, 1e-12, $"mean at lag {r.Lag}");
            AssertClose(expected, r.GeometricMean, 1e-12, $"geomean at lag {r.Lag}");
            AssertClose(expected, r.Median, 1e-12, $"median at lag {r.Lag}");
            AssertClose(r.Lag * Math.Log10(a), r.Log10GeometricMean, 1e-12, $"log10 geomean at lag {r.Lag}", floor: 1e-3);
            AssertClose(expected * Math.Sqrt(5), frobenius.At(r.Lag).Mean, 1e-12, $"Frobenius at lag {r.Lag}");
        }
    }

    [Fact]
    public void Explosion_far_beyond_double_range_stays_finite_on_the_log_scale()
    {
        var spec = new ModelSpec(new ModelShape(2, 3, 2), Activation.Identity);
        var w = WithScaledIdentityWhh(spec.Shape, 1.5f, seed: 3);
        const int K = 2000; // 1.5^2000 ≈ 10^352
        var p = JacobianProfile.Compute(spec, w, RandomSequences(1, K, 2, seed: 4), K);
        AssertClose(K * Math.Log10(1.5), p.At(K).Log10GeometricMean, 1e-10, "log10 ‖P_K‖");
        Assert.Equal(double.PositiveInfinity, p.At(K).Mean);
    }

    [Fact]
    public void Samples_are_every_anchor_from_the_end_down_to_K_minus_1()
    {
        var spec = new ModelSpec(new ModelShape(3, 4, 3), Activation.Tanh);
        var w = RandomFloats(spec.Shape.Count, 0.5, seed: 5);
        var seqs = RandomSequences(2, 10, 3, seed: 6);
        Assert.All(JacobianProfile.Compute(spec, w, seqs, 3).Rows, r => Assert.Equal(2 * 8, r.Samples)); // t = 9..2
        Assert.All(JacobianProfile.Compute(spec, w, seqs, 3, anchorStride: 3).Rows, r => Assert.Equal(2 * 3, r.Samples)); // t = 9, 6, 3
    }

    [Fact]
    public void Tanh_norms_are_bounded_by_powers_of_the_norm_of_Whh()
    {
        var spec = new ModelSpec(new ModelShape(5, 8, 5), Activation.Tanh);
        var w = RandomFloats(spec.Shape.Count, 0.6, seed: 7);
        double normWhh = ActorTrainer.Core.Diagnostics.MatrixNorms.LargestSingularValue(spec.Shape.Whh(w.AsSpan()), 8, 8);
        Assert.True(normWhh > 1.2, $"test needs an expanding Whh, got ‖Whh‖ = {normWhh}");
        var p = JacobianProfile.Compute(spec, w, RandomSequences(4, 30, 5, seed: 8), 20);
        foreach (var r in p.Rows)
            Assert.True(r.Max <= Math.Pow(normWhh, r.Lag) * (1 + 1e-9),
                $"lag {r.Lag}: max ‖∂h_t/∂h_t−k‖ = {r.Max} exceeds ‖Whh‖^k = {Math.Pow(normWhh, r.Lag)}");
        // tanh saturation makes the bound loose: by lag 20 the measured norm is far below it
        Assert.True(p.At(20).Max < 1e-3 * Math.Pow(normWhh, 20));
    }

    [Fact]
    public void Product_matches_finite_difference_Jacobian_of_the_forward_map()
    {
        var spec = new ModelSpec(new ModelShape(3, 4, 3), Activation.Tanh);
        var w = RandomFloats(spec.Shape.Count, 0.8, seed: 9);
        var tokens = new[] { 0, 2, 1, 1, 0, 2, 1 };
        var rnn = new DoubleRnn(spec, w);
        var trace = rnn.ForwardTokens(tokens);
        var literal = new LiteralRnn(spec, w);
        int t = 6;
        for (int k = 1; k <= 7; k++)
            AssertClose(literal.FiniteDifferenceJacobian(tokens, t, k), JacobianProfile.Product(rnn, trace, t, k), 1e-7, $"∂h_6/∂h_{6 - k}");
    }

    [Fact]
    public void Profile_norms_match_norms_of_the_finite_difference_Jacobian()
    {
        var spec = new ModelSpec(new ModelShape(3, 5, 3), Activation.Tanh);
        var w = RandomFloats(spec.Shape.Count, 0.8, seed: 10);
        const int K = 6;
        var tokens = new[] { 1, 0, 2, 2, 1, 0 }; // length K: the single anchor t = 5
        var spectral = JacobianProfile.Compute(spec, w, new[] { tokens }, K);
        var frobenius = JacobianProfile.Compute(spec, w, new[] { tokens }, K, MatrixNorm.Frobenius);
        var literal = new LiteralRnn(spec, w);
        for (int k = 1; k <= K; k++)
        {
            var j = literal.FiniteDifferenceJacobian(tokens, 5, k);
            // σ_max² = λ_max(JᵀJ), found by the (separately tested) eigen-estimator on the symmetric JᵀJ
            var jtj = new double[25];
            for (int a = 0; a < 5; a++)
            for (int b = 0; b < 5; b++)
                for (int i = 0; i < 5; i++) jtj[a * 5 + b] += j[i * 5 + a] * j[i * 5 + b];
            Assert.Equal(1, spectral.At(k).Samples);
            AssertClose(Math.Sqrt(SpectralRadius.Estimate(jtj, 5, 1e-13).Radius), spectral.At(k).Mean, 1e-7, $"spectral at lag {k}");
            AssertClose(Math.Sqrt(j.Sum(x => x * x)), frobenius.At(k).Mean, 1e-7, $"Frobenius at lag {k}");
        }
    }

    [Fact]
    public void Dead_relu_units_give_zero_norms_without_nan()
    {
        var shape = new ModelShape(2, 3, 2);
        var w = RandomFloats(shape.Count, 0.3, seed: 11);
        shape.Bh(w.AsSpan()).Fill(-100f); // every pre-activation negative: φ' = 0
        var p = JacobianProfile.Compute(new ModelSpec(shape, Activation.Relu), w, RandomSequences(2, 8, 2, seed: 12), 4);
        Assert.All(p.Rows, r =>
        {
            Assert.Equal(0.0, r.Mean); Assert.Equal(0.0, r.Max); Assert.Equal(0.0, r.GeometricMean);
            Assert.Equal(double.NegativeInfinity, r.Log10GeometricMean);
        });
    }

    [Fact]
    public void Bad_inputs_throw_with_the_offending_value()
    {
        var spec = new ModelSpec(new ModelShape(3, 4, 3));
        var w = new float[spec.Shape.Count];
        var ex = Assert.Throws<ArgumentException>(() => JacobianProfile.Compute(spec, w, new[] { new[] { 0, 1 } }, 3));
        Assert.Contains("2 steps", ex.Message);
        var ex2 = Assert.Throws<ArgumentOutOfRangeException>(() => JacobianProfile.Compute(spec, w, new[] { new[] { 0, 7, 1 } }, 2));
        Assert.Contains("7", ex2.Message);
        Assert.Throws<ArgumentException>(() => JacobianProfile.Compute(spec, new float[3], new[] { new[] { 0, 1 } }, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => JacobianProfile.Compute(spec, w, new[] { new[] { 0, 1 } }, 0));
    }

    [Fact]
    public void Table_has_a_header_and_one_line_per_lag()
    {
        var spec = new ModelSpec(new ModelShape(2, 3, 2), Activation.Identity);
        var table = JacobianProfile.Compute(spec, WithScaledIdentityWhh(spec.Shape, 0.5f, 1), RandomSequences(1, 5, 2, 1), 3).ToTable();
        var lines = table.TrimEnd().Split('\n');
        Assert.Equal(2 + 3, lines.Length);
        Assert.StartsWith("lag\tsamples\tmean", lines[1]);
        Assert.StartsWith("2\t3\t0.25\t", lines[3]);
    }
}
