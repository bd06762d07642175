using ActorTrainer.Core.Optim;

namespace ActorTrainer.Core.Tests.Optim;

public class GradientClipperTests
{
    private static float[] RandomGradient(int n, int seed, float scale)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => ((float)rng.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static double Norm(float[] g) => Math.Sqrt(g.Sum(x => (double)x * x));

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0;
        for (int i = 0; i < a.Length; i++) dot += (double)a[i] * b[i];
        return dot / (Norm(a) * Norm(b));
    }

    [Theory]
    [InlineData(1, 0.5f)]
    [InlineData(7, 1f)]
    [InlineData(300, 5f)]
    [InlineData(10_000, 0.1f)]
    public void Norm_clipping_brings_norm_to_threshold_and_keeps_direction(int n, float c)
    {
        var g = RandomGradient(n, seed: n, scale: 10f);
        var original = (float[])g.Clone();
        double before = Norm(original);
        Assert.True(before > c);

        var r = GradientClipper.ClipByNorm(g, c);

        Assert.True(r.Finite);
        Assert.True(r.Clipped);
        Assert.Equal(before, r.NormBefore, 1e-9 * before);
        double after = Norm(g);
        Assert.True(after <= c * (1 + 1e-6), $"norm after clipping {after} exceeds c = {c}");
        Assert.True(after >= c * (1 - 1e-6), $"norm after clipping {after} fell well below c = {c}");
        Assert.Equal(1.0, Cosine(original, g), 1e-6);
    }

    [Fact]
    public void Norm_clipping_leaves_a_gradient_below_threshold_untouched_but_reports_its_norm()
    {
        var g = new[] { 3f, -4f }; // ‖g‖ = 5
        var r = GradientClipper.ClipByNorm(g, 5f);
        Assert.Equal(new ClipResult(5.0, Clipped: false, Finite: true), r);
        Assert.Equal(new[] { 3f, -4f }, g);
    }

    [Fact]
    public void Norm_clipping_scales_a_known_vector()
    {
        var g = new[] { 3f, -4f }; // ‖g‖ = 5 → scale 2/5
        var r = GradientClipper.ClipByNorm(g, 2f);
        Assert.True(r.Clipped);
        Assert.Equal(5.0, r.NormBefore);
        Assert.Equal(1.2f, g[0], 1e-6f);
        Assert.Equal(-1.6f, g[1], 1e-6f);
    }

    [Fact]
    public void Norm_is_accumulated_in_double()
    {
        // 2^24 + 1 ones: a float running sum sticks at 2^24, a double one does not.
        var g = new float[(1 << 24) + 1];
        Array.Fill(g, 1f);
        Assert.Equal(Math.Sqrt((1 << 24) + 1), GradientClipper.L2Norm(g), 1e-9);
    }

    [Fact]
    public void Value_clipping_bounds_every_element_and_keeps_the_rest()
    {
        var g = new[] { -3f, -0.5f, 0f, 0.25f, 2f, 1f, -1f };
        var r = GradientClipper.ClipByValue(g, 1f);
        Assert.True(r.Finite);
        Assert.True(r.Clipped);
        Assert.Equal(Math.Sqrt(9 + 0.25 + 0 + 0.0625 + 4 + 1 + 1), r.NormBefore, 1e-9);
        Assert.Equal(new[] { -1f, -0.5f, 0f, 0.25f, 1f, 1f, -1f }, g);
    }

    [Fact]
    public void Value_clipping_inside_bounds_reports_not_clipped()
    {
        var g = new[] { -1f, 0.5f, 1f };
        var r = GradientClipper.ClipByValue(g, 1f);
        Assert.False(r.Clipped);
        Assert.Equal(new[] { -1f, 0.5f, 1f }, g);
    }

    [Fact]
    public void Negative_outlier_alone_triggers_value_clipping()
    {
        var g = new[] { 0.1f, -7f, 0.2f };
        Assert.True(GradientClipper.ClipByValue(g, 2f).Clipped);
        Assert.Equal(-2f, g[1]);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_gradient_is_detected_and_left_untouched(float bad)
    {
        foreach (var clip in new Func<float[], ClipResult>[]
                 { g => GradientClipper.ClipByNorm(g, 1f), g => GradientClipper.ClipByValue(g, 1f) })
        {
            var g = RandomGradient(50, seed: 3, scale: 10f);
            g[17] = bad;
            var original = (float[])g.Clone();
            var r = clip(g);
            Assert.False(r.Finite);
            Assert.False(r.Clipped);
            Assert.False(double.IsFinite(r.NormBefore));
            Assert.Equal(original, g); // NaN == NaN under Assert.Equal for floats
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Threshold_must_be_finite_and_positive(float c)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipper.ClipByNorm(new float[3], c));
        Assert.Equal("c", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipper.ClipByValue(new float[3], c));
    }

    [Fact]
    public void Empty_gradient_has_norm_zero_and_is_not_clipped()
    {
        Assert.Equal(new ClipResult(0, false, true), GradientClipper.ClipByNorm(Span<float>.Empty, 1f));
        Assert.Equal(new ClipResult(0, false, true), GradientClipper.ClipByValue(Span<float>.Empty, 1f));
    }
}
