using ActorTrainer.Cli.Reporting;

namespace ActorTrainer.Cli.Tests.Reporting;

public class IntegerHistogramTests
{
    [Fact]
    public void Each_integer_gets_a_unit_wide_bar_centred_on_it()
    {
        var bars = IntegerHistogram.Bars([5, 0, 3, 1]);
        Assert.Equal(4, bars.Count);
        for (int i = 0; i < bars.Count; i++)
        {
            Assert.Equal(i, bars[i].Position);
            Assert.Equal(i - 0.5, bars[i].Rect.Left, 12);
            Assert.Equal(i + 0.5, bars[i].Rect.Right, 12);
        }
        Assert.Equal([5.0, 0, 3, 1], bars.Select(b => b.Value));
    }

    [Fact]
    public void Values_past_the_last_nonzero_count_get_no_bar()
    {
        Assert.Equal(3, IntegerHistogram.Bars([0, 2, 7, 0, 0, 0]).Count);
        Assert.Single(IntegerHistogram.Bars([0, 0])); // value 0 alone, with count 0: still a frame to draw
        Assert.Single(IntegerHistogram.Bars([]));
    }

    [Fact]
    public void The_plot_shows_every_bar_whole_and_ticks_under_bar_centres()
    {
        var plot = new IntegerHistogram("staleness", "run", "staleness (versions behind)", "gradients", [40, 30, 0, 2]).ToPlot();
        plot.RenderInMemory(Charts.Width, Charts.Height);
        var limits = plot.Axes.GetLimits();
        Assert.True(limits.Left <= -0.5 && limits.Right >= 3.5, $"x from {limits.Left} to {limits.Right}");
        Assert.True(limits.Bottom == 0 && limits.Top >= 40);
        Assert.All(plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor), t => Assert.Equal(Math.Round(t.Position), t.Position));
    }
}
