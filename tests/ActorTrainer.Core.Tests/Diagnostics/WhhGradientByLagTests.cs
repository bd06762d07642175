using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Core.Rnn;
using static ActorTrainer.Core.Tests.Diagnostics.DiagTestKit;

namespace ActorTrainer.Core.Tests.Diagnostics;

public class WhhGradientByLagTests
{
    private static readonly ModelSpec Spec = new(new ModelShape(4, 5, 4), Activation.Tanh);
    private static readonly float[] W = RandomFloats(Spec.Shape.Count, 0.7, seed: 31);
    // different lengths: 9, 6 and 12 predictions
    private static readonly int[][] Seqs =
    {
        new[] { 0, 1, 2, 3, 2, 1, 0, 0, 3, 1 },
        new[] { 3, 3, 1, 0, 2, 2, 1 },
        new[] { 1, 0, 0, 2, 3, 1, 2, 0, 1, 3, 3, 2, 0 },
    };

    private static double[] Sum(IEnumerable<double[]> ms)
    {
        double[]? s = null;
        foreach (var m in ms)
        {
            s ??= new double[m.Length];
            for (int i = 0; i < m.Length; i++) s[i] += m[i];
        }
        return s!;
    }

    [Fact]
    public void Contributions_over_all_lags_sum_to_the_untruncated_gradient()
    {
        var literal = new LiteralRnn(Spec, W).FullBpttDWhh(Seqs);
        var dec = WhhGradientByLag.Decompose(Spec, W, Seqs, maxLag: 11); // longest sequence has 12 predictions
        AssertClose(literal, Sum(dec.ByLag), 1e-10, "Σ_ℓ C_ℓ");
        AssertClose(literal, dec.Full, 1e-10, "dWhh");
        Assert.True(dec.Tail.Max(Math.Abs) <= 1e-14, $"tail should be rounding noise, max |entry| {dec.Tail.Max(Math.Abs)}");
        // and the decomposition is not trivial: several lags carry weight
        Assert.True(dec.ByLag.Count(c => c.Max(Math.Abs) > 1e-3 * literal.Max(Math.Abs)) >= 3);
    }

    [Fact]
    public void Short_decomposition_is_a_prefix_and_the_tail_holds_the_rest()
    {
        var all = WhhGradientByLag.Decompose(Spec, W, Seqs, maxLag: 11);
        var few = WhhGradientByLag.Decompose(Spec, W, Seqs, maxLag: 2);
        Assert.Equal(3, few.ByLag.Count);
        for (int l = 0; l <= 2; l++) AssertClose(all.ByLag[l], few.ByLag[l], 1e-13, $"C_{l}");
        AssertClose(Sum(all.ByLag.Skip(3)), few.Tail, 1e-10, "tail = Σ_{ℓ>2} C_ℓ");
    }

    [Fact]
    public void Lag_zero_contribution_is_the_gradient_without_recurrence()
    {
        var dec = WhhGradientByLag.Decompose(Spec, W, Seqs, maxLag: 0);
        AssertClose(new LiteralRnn(Spec, W).NoRecurrenceDWhh(Seqs), dec.ByLag[0], 1e-10, "C_0");
    }

    [Fact]
    public void Full_gradient_matches_central_finite_differences_of_the_mean_loss()
    {
        var literal = new LiteralRnn(Spec, W);
        var dec = WhhGradientByLag.Decompose(Spec, W, Seqs, maxLag: 11);
        foreach (var (i, j) in new[] { (0, 0), (1, 3), (4, 2), (3, 4) })
        {
            double fd = literal.FiniteDifferenceDWhh(Seqs, i, j);
            AssertClose(fd, Sum(dec.ByLag)[i * 5 + j], 1e-6, $"dWhh[{i},{j}]", floor: 1e-3);
        }
        AssertClose(literal.Loss(Seqs), dec.Loss, 1e-12, "mean loss");
    }

    [Fact]
    public void Compute_reports_the_norms_of_the_decomposition()
    {
        var dec = WhhGradientByLag.Decompose(Spec, W, Seqs, maxLag: 4);
        var p = WhhGradientByLag.Compute(Spec, W, Seqs, maxLag: 4);
        Assert.Equal(5, p.NormByLag.Count);
        double Fro(double[] m) => Math.Sqrt(m.Sum(x => x * x));
        for (int l = 0; l <= 4; l++) AssertClose(Fro(dec.ByLag[l]), p.NormByLag[l], 1e-12, $"‖C_{l}‖");
        AssertClose(Fro(dec.Tail), p.TailNorm, 1e-12, "tail");
        AssertClose(Fro(new LiteralRnn(Spec, W).FullBpttDWhh(Seqs)), p.FullNorm, 1e-10, "‖dWhh‖");
        Assert.Equal(9 + 6 + 12, p.Predictions);
        Assert.Equal(2 + 5 + 1, p.ToTable().TrimEnd().Split('\n').Length);
    }

    [Fact]
    public void Lags_beyond_the_longest_sequence_contribute_zero()
    {
        // 6 predictions: lags 0..5 exist, and lag 5 pairs δ_{5,0} with h_{−1} = 0
        var p = WhhGradientByLag.Compute(Spec, W, new[] { Seqs[1] }, maxLag: 9);
        Assert.True(p.NormByLag[4] > 0);
        for (int l = 5; l <= 9; l++) Assert.Equal(0.0, p.NormByLag[l]);
    }

    [Fact]
    public void Bad_inputs_throw_with_the_offending_value()
    {
        var mse = Spec with { Loss = LossKind.MeanSquaredError };
        Assert.Throws<ArgumentException>(() => WhhGradientByLag.Compute(mse, W, Seqs, 2));
        var ex = Assert.Throws<ArgumentException>(() => WhhGradientByLag.Compute(Spec, W, new[] { new[] { 1 } }, 2));
        Assert.Contains("1 tokens", ex.Message);
        var narrow = new ModelSpec(new ModelShape(4, 5, 2));
        var ex2 = Assert.Throws<ArgumentOutOfRangeException>(() =>
            WhhGradientByLag.Compute(narrow, new float[narrow.Shape.Count], new[] { new[] { 0, 3 } }, 1));
        Assert.Contains("3", ex2.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => WhhGradientByLag.Compute(Spec, W, Seqs, -1));
    }
}
