using ActorTrainer.Cli.Reporting;
using ScottPlot;
using ScottPlot.Plottables;

namespace ActorTrainer.Cli.Tests.Reporting;

public class LineChartTests
{
    private static readonly double[] Xs = [1, 2, 3, 4];

    private static Scatter[] Lines(Plot plot) => plot.GetPlottables().OfType<Scatter>().ToArray();

    [Fact]
    public void Reference_lines_are_dashed_and_drawn_after_every_data_series_black_last()
    {
        var plot = new LineChart("t", "", "workers", "tokens/s")
            .AddReference("ideal", Xs, [1, 2, 3, 4])
            .Add("async", Xs, [1, 2, 2.5, 3])
            .AddReference("capped", Xs, [1, 2, 2, 2], LineChart.ReferenceStyle.GreyDashed)
            .Add("sync", Xs, [1, 1.5, 2, 2])
            .ToPlot();
        var lines = Lines(plot);
        Assert.Equal(["async", "sync", "capped", "ideal"], lines.Select(l => l.LegendText));
        Assert.Equal(LinePattern.Dashed, lines[^1].LinePattern);
        Assert.Equal(Charts.Reference, lines[^1].LineColor);
        Assert.DoesNotContain(lines[..2], l => l.LineColor == Charts.Reference || l.LineColor == Charts.MutedReference);
        Assert.Equal(LinePattern.Solid, lines[0].LinePattern);
    }

    [Fact]
    public void Series_beyond_the_palette_differ_in_line_pattern_and_marker()
    {
        var chart = new LineChart("t", "", "x", "y");
        for (int i = 0; i <= Charts.Palette.Count; i++) chart.Add($"s{i}", Xs, Xs);
        var lines = Lines(chart.ToPlot());
        Assert.Equal(lines[0].LineColor, lines[^1].LineColor);
        Assert.NotEqual(lines[0].LinePattern, lines[^1].LinePattern);
        Assert.NotEqual(lines[0].MarkerShape, lines[^1].MarkerShape);
        Assert.Equal(Charts.Palette.Count, lines.Select(l => l.LineColor).Distinct().Count());
    }

    [Fact]
    public void A_given_style_sets_colour_and_variant_so_two_factors_show()
    {
        var lines = Lines(new LineChart("t", "", "x", "y")
            .Add("identity, ρ = 0.5", Xs, Xs, new LineChart.SeriesStyle(0, 0))
            .Add("tanh, ρ = 0.5", Xs, Xs, new LineChart.SeriesStyle(0, 1))
            .Add("tanh, ρ = 1.5", Xs, Xs, new LineChart.SeriesStyle(1, 1)).ToPlot());
        Assert.Equal(lines[0].LineColor, lines[1].LineColor);
        Assert.NotEqual(lines[0].LinePattern, lines[1].LinePattern);
        Assert.NotEqual(lines[1].LineColor, lines[2].LineColor);
        Assert.Equal(lines[1].LinePattern, lines[2].LinePattern);
    }

    [Fact]
    public void The_legend_sits_outside_the_data_area()
    {
        var plot = new LineChart("t", "", "x", "y").Add("a", Xs, Xs).ToPlot();
        Assert.Contains(plot.Axes.GetPanels(), p => p is ScottPlot.Panels.LegendPanel);
        Assert.False(plot.Legend.IsVisible); // the in-plot legend, which would cover data, stays off
    }

    [Fact]
    public void Non_finite_points_split_a_series_into_segments_with_one_legend_entry()
    {
        var lines = Lines(new LineChart("t", "", "x", "y").Add("diverged", [1, 2, 3, 4, 5], [3, 2, double.NaN, 1, double.PositiveInfinity]).ToPlot());
        Assert.Equal(2, lines.Length);
        Assert.Equal([2, 1], lines.Select(l => l.Data.GetScatterPoints().Count));
        Assert.Equal(["diverged", null], lines.Select(l => string.IsNullOrEmpty(l.LegendText) ? null : l.LegendText));
    }

    [Fact]
    public void A_series_without_finite_points_still_has_its_legend_entry()
    {
        var lines = Lines(new LineChart("t", "", "x", "y").Add("lost", [1, 2], [double.NaN, double.NaN]).ToPlot());
        Assert.Equal("lost (no finite points)", Assert.Single(lines).LegendText);
    }

    [Fact]
    public void Log_axis_draws_log10_of_the_values_and_rejects_values_at_or_below_zero()
    {
        var line = Lines(new LineChart("t", "", "x", "y") { Y = AxisScale.Log10 }.Add("g", [0, 1, 2], [1e-4, 1, 1e17]).ToPlot()).Single();
        Assert.Equal([-4.0, 0, 17], line.Data.GetScatterPoints().Select(p => Math.Round(p.Y, 12)));
        var e = Assert.Throws<ArgumentException>(() => new LineChart("t", "", "x", "y") { Y = AxisScale.Log10 }.Add("g", [0, 1], [1, 0]));
        Assert.Contains("'g'", e.Message);
        Assert.Contains("index 1", e.Message);
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new LineChart("t", "", "x", "y").Add("s", [1, 2, 3], [1, 2]));
    }

    [Fact]
    public void Explicit_x_ticks_mark_exactly_the_given_values_and_y_can_start_at_zero()
    {
        var plot = new LineChart("t", "", "workers", "tokens/s") { X = AxisScale.Integer, XTicks = [1, 2, 4], YFromZero = true }
            .Add("a", [1, 2, 4], [500, 900, 1000]).ToPlot();
        plot.RenderInMemory(Charts.Width, Charts.Height);
        Assert.Equal([1.0, 2, 4], plot.Axes.Bottom.TickGenerator.Ticks.Select(t => t.Position));
        Assert.Equal(["1", "2", "4"], plot.Axes.Bottom.TickGenerator.Ticks.Select(t => t.Label));
        Assert.Equal(0, plot.Axes.GetLimits().Bottom);
    }

    [Fact]
    public void Integer_axis_of_a_rendered_chart_ticks_only_at_integers()
    {
        var plot = new LineChart("t", "", "workers", "tokens/s") { X = AxisScale.Integer }.Add("a", [1, 2, 4], [5, 9, 10]).ToPlot();
        plot.RenderInMemory(Charts.Width, Charts.Height);
        var ticks = plot.Axes.Bottom.TickGenerator.Ticks;
        Assert.NotEmpty(ticks);
        Assert.All(ticks, t => Assert.Equal(Math.Round(t.Position), t.Position));
    }

    [Fact]
    public void Captions_wrap_at_spaces_within_the_line_length()
    {
        string caption = string.Join(' ', Enumerable.Range(0, 40).Select(i => $"word{i}"));
        var lines = Charts.Wrap(caption, 30).Split('\n');
        Assert.True(lines.Length > 1);
        Assert.All(lines, l => Assert.InRange(l.Length, 1, 30));
        Assert.Equal(caption, string.Join(' ', lines));
    }
}
