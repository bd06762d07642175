using System.Globalization;
using ActorTrainer.Cli.Reporting;
using ScottPlot;

namespace ActorTrainer.Cli.Tests.Reporting;

public class TickRulesTests
{
    /// <summary>Visible ranges a plot may show: worker counts 1–4 with margins, lags, one unit, huge counts, a sliver.</summary>
    public static TheoryData<double, double> Ranges => new()
    {
        { 0.85, 4.15 }, { 0.5, 4.5 }, { -0.3, 0.8 }, { -2, 62 }, { 0.9, 1.1 }, { 0, 1_000_000 }, { 3.2, 3.7 }, { -17.5, -2.25 },
    };

    private static Tick[] Regenerate(AxisScale scale, double lo, double hi, float pixels, Edge edge = Edge.Bottom)
    {
        var generator = TickRules.For(scale);
        generator.Regenerate(new CoordinateRange(lo, hi), edge, new PixelLength(pixels), null!, null!); // the rules read neither paint nor style
        return generator.Ticks;
    }

    [Theory]
    [MemberData(nameof(Ranges))]
    public void Integer_axis_ticks_only_at_integers_labelled_without_decimals(double lo, double hi)
    {
        foreach (float pixels in new[] { 60f, 200f, 700f, 2000f })
            foreach (var edge in new[] { Edge.Bottom, Edge.Left })
                foreach (var t in Regenerate(AxisScale.Integer, lo, hi, pixels, edge))
                {
                    Assert.Equal(Math.Round(t.Position), t.Position);
                    Assert.Equal(t.Position.ToString("N0", CultureInfo.InvariantCulture), t.Label);
                    Assert.InRange(t.Position, lo, hi);
                }
    }

    [Fact]
    public void Worker_axis_from_one_to_four_reads_one_two_three_four()
    {
        Assert.Equal([1.0, 2, 3, 4], Regenerate(AxisScale.Integer, 0.85, 4.15, 600).Select(t => t.Position));
        // A range inside one unit holds at most one integer: no 0.2-steps to fill it.
        Assert.Equal([1.0], Regenerate(AxisScale.Integer, 0.9, 1.1, 600).Select(t => t.Position));
    }

    [Fact]
    public void Ticks_are_as_many_as_the_axis_length_holds()
    {
        var few = Regenerate(AxisScale.Integer, 0, 100, 200);
        var many = Regenerate(AxisScale.Integer, 0, 100, 2000);
        Assert.InRange(few.Length, 2, TickRules.MaxTicks(200, horizontal: true));
        Assert.InRange(many.Length, few.Length + 1, TickRules.MaxTicks(2000, horizontal: true));
    }

    [Theory]
    [MemberData(nameof(Ranges))]
    public void Linear_axis_labels_share_one_format_and_never_use_exponents(double lo, double hi)
    {
        var ticks = Regenerate(AxisScale.Linear, lo, hi, 500, Edge.Left);
        Assert.True(ticks.Length >= 2, $"{ticks.Length} ticks on [{lo}, {hi}]");
        var decimals = ticks.Select(t => t.Label.Contains('.') ? t.Label.Length - t.Label.IndexOf('.') - 1 : 0).Distinct();
        Assert.Single(decimals);
        foreach (var t in ticks)
        {
            Assert.DoesNotContain("E", t.Label, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(t.Position, double.Parse(t.Label, NumberStyles.Number, CultureInfo.InvariantCulture), 9);
        }
    }

    [Fact]
    public void Log_axis_over_many_decades_labels_every_tick_as_a_power_of_ten()
    {
        // Gradient norms from 1e-6 to 1e17 (log10 coordinates): the old renderer printed 1e+17, 100000 and 1e-4 side by side.
        var majors = Regenerate(AxisScale.Log10, -6.2, 17.3, 400, Edge.Left).Where(t => t.IsMajor).ToArray();
        Assert.True(majors.Length >= 3);
        foreach (var t in majors)
        {
            Assert.Equal(Math.Round(t.Position), t.Position);
            Assert.StartsWith("10", t.Label);
            Assert.DoesNotContain("e", t.Label, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Contains(majors, t => t.Label == "10⁻⁶" || t.Label == "10⁻⁵" || t.Label == "10⁻⁴");
    }

    [Fact]
    public void Log_axis_within_0_001_to_10000_uses_plain_numbers_and_minor_ticks_between_decades()
    {
        var ticks = Regenerate(AxisScale.Log10, -3.1, 2.2, 500, Edge.Left);
        Assert.Equal(["0.001", "0.01", "0.1", "1", "10", "100"], ticks.Where(t => t.IsMajor).Select(t => t.Label));
        Assert.Contains(ticks, t => !t.IsMajor && Math.Abs(t.Position - Math.Log10(2)) < 1e-12);
    }

    [Fact]
    public void Log_axis_over_under_three_decades_labels_one_two_five()
    {
        // Gradient norms 0.3 … 60: decades alone would label only 1 and 10.
        var labels = Regenerate(AxisScale.Log10, Math.Log10(0.3), Math.Log10(60), 500, Edge.Left).Where(t => t.IsMajor).Select(t => t.Label);
        Assert.Equal(["0.5", "1", "2", "5", "10", "20", "50"], labels);
    }

    [Fact]
    public void Empty_or_reversed_ranges_give_no_ticks()
    {
        Assert.Empty(TickRules.Linear(1, 1, 10));
        Assert.Empty(TickRules.Integer(double.NaN, 3, 10));
        Assert.Empty(TickRules.Log10(2, 1, 10));
    }
}
