using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Core.Tests.Reporting;

public class AxisTicksTests
{
    [Fact]
    public void Linear_ticks_are_nice_and_cover_the_range()
    {
        // range 9.57 / 5 intervals = 1.91 → step 2; [0.13, 9.7] widens to [0, 10].
        var a = AxisTicks.Linear(0.13, 9.7);
        Assert.Equal(new double[] { 0, 2, 4, 6, 8, 10 }, a.Ticks);
        Assert.Equal((0.0, 10.0), (a.Min, a.Max));

        // 0.0123 / 5 = 0.00246 → step 0.0025; [1.0003, 1.0126] → [1, 1.0150]
        var b = AxisTicks.Linear(1.0003, 1.0126);
        Assert.Equal(1.0, b.Min, 12);
        Assert.Equal(1.015, b.Max, 12);
        Assert.Equal(7, b.Ticks.Count);
    }

    [Fact]
    public void Linear_ticks_around_zero_contain_an_exact_zero()
    {
        var a = AxisTicks.Linear(-0.7, 0.9);
        Assert.Contains(0.0, a.Ticks);
        Assert.All(a.Ticks, t => Assert.True(t == 0 || Math.Abs(t) >= 0.1));
    }

    [Theory]
    [InlineData(3.0, 3.0)]
    [InlineData(0.0, 0.0)]
    [InlineData(double.NaN, 1.0)]
    public void Degenerate_ranges_still_give_an_axis(double lo, double hi)
    {
        var a = AxisTicks.Linear(lo, hi);
        Assert.True(a.Max > a.Min);
        Assert.True(a.Ticks.Count >= 2);
    }

    [Fact]
    public void Log_ticks_are_decades_with_2_and_5_on_short_ranges()
    {
        var a = AxisTicks.Log10(0.5, 30); // decades 0.1 … 100
        Assert.Equal(new[] { 0.1, 1, 10, 100 }, a.Ticks.Select(t => Math.Round(t, 6)));
        var b = AxisTicks.Log10(1.2, 7);  // one decade: 1, 2, 5, 10
        Assert.Equal(new[] { 1.0, 2, 5, 10 }, b.Ticks.Select(t => Math.Round(t, 6)));
        Assert.Equal(0.5, b.Fraction(Math.Sqrt(10)), 12);
    }

    [Fact]
    public void Log_axis_rejects_non_positive_ranges()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AxisTicks.Log10(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => AxisTicks.Log10(-1, 10));
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(0.25, "0.25")]
    [InlineData(1500.0, "1500")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e-5, "1e-5")]
    [InlineData(2.5e6, "2.5e+6")]
    public void Tick_labels_are_short_and_invariant(double v, string expected)
    {
        Assert.Equal(expected, AxisTicks.Format(v));
    }
}
