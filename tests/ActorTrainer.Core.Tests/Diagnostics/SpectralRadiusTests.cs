using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Core.Rnn;
using static ActorTrainer.Core.Tests.Diagnostics.DiagTestKit;

namespace ActorTrainer.Core.Tests.Diagnostics;

public class SpectralRadiusTests
{
    private static void AssertRadius(double expected, double[] a, int n, string what)
    {
        var est = SpectralRadius.Estimate(a, n);
        Assert.True(est.Converged, $"{what}: not converged after {est.Iterations} iterations (ρ≈{est.Radius})");
        AssertClose(expected, est.Radius, 1e-6, what);
    }

    [Fact]
    public void Diagonal_matrix_radius_is_largest_absolute_entry() =>
        AssertRadius(1.7, Diag(0.3, -1.7, 1.2, 0.9, -0.5), 5, "diag");

    [Fact]
    public void Upper_triangular_radius_is_largest_absolute_diagonal_entry()
    {
        double[] d = { 0.5, -2.5, 1.0, 2.0, -0.1, 1.5 };
        int n = d.Length;
        var rng = new Random(3);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            a[i * n + i] = d[i];
            for (int j = i + 1; j < n; j++) a[i * n + j] = 3 * Gaussian(rng); // strongly non-normal
        }
        AssertRadius(2.5, a, n, "triangular");
    }

    [Theory]
    [InlineData(1.3, 0.7)]
    [InlineData(0.8, 2.9)]
    [InlineData(1.0, 0.05)]
    public void Rotation_scaled_block_has_radius_equal_to_its_scale(double r, double theta)
    {
        AssertRadius(r, ScaledRotation(r, theta), 2, "2×2 rotation");
        // the same complex pair hidden in a non-normal 5×5 with smaller real eigenvalues
        var a = Similar(BlockDiag(ScaledRotation(r, theta), Diag(0.4 * r, -0.6 * r, 0.2 * r)), 5, spread: 1.5, seed: 11);
        AssertRadius(r, a, 5, "similar to rotation block");
    }

    [Fact]
    public void Symmetric_matrix_with_opposite_sign_near_tie_has_radius_of_largest_modulus()
    {
        int n = 5;
        var q = Householder(n, seed: 5);
        var a = Mul(Mul(q, Diag(-3.0, 2.9, 1.0, 0.5, -0.2), n), q, n);
        AssertRadius(3.0, a, n, "symmetric");
    }

    [Fact]
    public void Plus_minus_pair_where_plain_power_iteration_oscillates_is_found()
    {
        var swap = new[] { 0.0, 1.2, 1.2, 0.0 }; // eigenvalues ±1.2
        AssertRadius(1.2, Similar(BlockDiag(swap, Diag(0.5, -0.3)), 4, 1.0, seed: 2), 4, "±λ");
    }

    [Fact]
    public void Real_dominant_eigenvalue_beats_a_non_normal_complex_second_pair()
    {
        var a = Similar(BlockDiag(Diag(2.0), ScaledRotation(1.5, 1.1), Diag(0.3)), 4, spread: 5.0, seed: 7);
        AssertRadius(2.0, a, 4, "real dominant, complex second");
    }

    [Fact]
    public void Zero_matrix_has_radius_zero_and_scalar_has_its_modulus()
    {
        AssertRadius(0, new double[9], 3, "zero");
        Assert.Equal(0.0, SpectralRadius.Estimate(new double[9], 3).Radius);
        AssertRadius(0.75, new[] { -0.75 }, 1, "1×1");
    }

    [Fact]
    public void Float_overload_matches_double_overload()
    {
        var a = Similar(BlockDiag(ScaledRotation(1.1, 0.3), Diag(0.7)), 3, 1.0, seed: 4);
        var f = ToFloat(a);
        var ef = SpectralRadius.Estimate(f, 3);
        var ed = SpectralRadius.Estimate(f.Select(x => (double)x).ToArray(), 3);
        Assert.Equal(ed.Radius, ef.Radius);
        AssertClose(1.1, ef.Radius, 1e-5, "float input");
    }

    [Fact]
    public void Rescale_multiplies_matrix_by_target_over_radius()
    {
        var a = Similar(BlockDiag(ScaledRotation(1.3, 0.7), Diag(0.4, -0.6)), 4, 1.5, seed: 11);
        var f = ToFloat(a);
        var before = SpectralRadius.Rescale(f, 4, 0.9);
        AssertClose(1.3, before.Radius, 1e-5, "radius before");
        for (int i = 0; i < f.Length; i++)
            AssertClose(a[i] * 0.9 / 1.3, f[i], 1e-5, $"rescaled entry {i}", floor: 1e-6);
        AssertClose(0.9, SpectralRadius.Estimate(f, 4).Radius, 1e-5, "radius after");
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(1.1)]
    public void Rescaled_random_matrix_grows_vectors_at_the_requested_rate(double target)
    {
        int n = 48;
        var f = RandomFloats(n * n, 1.0 / Math.Sqrt(n), seed: 21);
        SpectralRadius.Rescale(f, n, target);
        var est = SpectralRadius.Estimate(f, n);
        AssertClose(target, est.Radius, 1e-4, "re-estimated radius");

        // independent check: ‖Aᵐ v‖ grows like ρᵐ; measure the rate over steps 1000..4000
        var a = f.Select(x => (double)x).ToArray();
        var v = new double[n]; v[0] = 1;
        var t = new double[n];
        double logGrowth = 0;
        for (int step = 0; step < 4000; step++)
        {
            for (int i = 0; i < n; i++) { double s = 0; for (int j = 0; j < n; j++) s += a[i * n + j] * v[j]; t[i] = s; }
            double norm = Math.Sqrt(t.Sum(x => x * x));
            for (int i = 0; i < n; i++) v[i] = t[i] / norm;
            if (step >= 1000) logGrowth += Math.Log(norm);
        }
        AssertClose(target, Math.Exp(logGrowth / 3000), 1e-2, "growth rate of ‖Aᵐv‖");
    }

    [Fact]
    public void RescaleWhh_touches_only_the_Whh_block()
    {
        var shape = new ModelShape(3, 4, 3);
        var w = RandomFloats(shape.Count, 0.5, seed: 8);
        var before = (float[])w.Clone();
        SpectralRadius.RescaleWhh(shape, w, 0.5);
        AssertClose(0.5, SpectralRadius.OfWhh(shape, w).Radius, 1e-5, "Whh radius");
        for (int i = 0; i < w.Length; i++)
            if (i < shape.WhhOffset || i >= shape.BhOffset) Assert.Equal(before[i], w[i]);
    }

    [Fact]
    public void Bad_inputs_throw_with_the_offending_value()
    {
        Assert.Throws<ArgumentException>(() => SpectralRadius.Estimate(new float[5], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpectralRadius.Rescale(new float[] { 1, 0, 0, 1 }, 2, -1));
        var ex = Assert.Throws<InvalidOperationException>(() => SpectralRadius.Rescale(new float[4], 2, 1.0));
        Assert.Contains("radius 0", ex.Message);
        Assert.Throws<ArgumentException>(() => SpectralRadius.Estimate(new[] { double.NaN }, 1));
    }
}
