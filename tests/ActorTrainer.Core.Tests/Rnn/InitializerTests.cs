using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Tests.Rnn;

public class InitializerTests
{
    private static readonly ModelShape Shape = new(20, 16, 12);

    [Fact]
    public void Same_seed_gives_the_same_W_and_another_seed_a_different_one()
    {
        Assert.Equal(Initializer.Create(Shape, 5), Initializer.Create(Shape, 5));
        Assert.NotEqual(Initializer.Create(Shape, 5), Initializer.Create(Shape, 6));
    }

    [Theory]
    [InlineData(InitDistribution.Uniform)]
    [InlineData(InitDistribution.Normal)]
    public void Weights_scale_with_one_over_root_fan_in_and_biases_are_zero(InitDistribution dist)
    {
        var shape = new ModelShape(100, 64, 30);
        float[] w = Initializer.Create(shape, 1, new InitOptions(dist));
        Assert.All(shape.Bh(w.AsSpan()).ToArray(), b => Assert.Equal(0f, b));
        Assert.All(shape.By(w.AsSpan()).ToArray(), b => Assert.Equal(0f, b));
        foreach (var (block, fanIn) in new[] { (shape.Wxh(w.AsSpan()).ToArray(), 100), (shape.Whh(w.AsSpan()).ToArray(), 64), (shape.Why(w.AsSpan()).ToArray(), 64) })
        {
            double width = 1 / Math.Sqrt(fanIn);
            double std = Math.Sqrt(block.Average(v => (double)v * v));
            double expected = dist == InitDistribution.Uniform ? width / Math.Sqrt(3) : width;   // std of U(±a) is a/√3
            Assert.InRange(std, 0.9 * expected, 1.1 * expected);
            Assert.InRange(Math.Abs(block.Average()), 0, 0.1 * expected);
            if (dist == InitDistribution.Uniform) Assert.All(block, v => Assert.InRange(Math.Abs(v), 0, width));
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(1.3)]
    public void Whh_is_rescaled_to_the_requested_spectral_radius(double rho)
    {
        float[] w = Initializer.Create(Shape, 3, new InitOptions(InitDistribution.Normal, WhhSpectralRadius: rho));
        float[] whh = Shape.Whh(w.AsSpan()).ToArray();
        Assert.Equal(rho, SpectralRadius.Estimate(whh, Shape.H).Radius, 4);
        // the other blocks are as drawn without rescaling
        float[] plain = Initializer.Create(Shape, 3, new InitOptions(InitDistribution.Normal));
        Assert.Equal(Shape.Wxh(plain.AsSpan()).ToArray(), Shape.Wxh(w.AsSpan()).ToArray());
        Assert.Equal(Shape.Why(plain.AsSpan()).ToArray(), Shape.Why(w.AsSpan()).ToArray());
    }

    [Fact]
    public void Bad_options_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Initializer.Fill(Shape, new float[3], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializer.Create(Shape, 1, new InitOptions(Scale: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializer.Create(Shape, 1, new InitOptions(WhhSpectralRadius: -1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializer.Create(Shape, 1, new InitOptions(WhhSpectralRadius: double.NaN)));
    }
}
