using ActorTrainer.Cli.Reporting;
using ScottPlot;

namespace ActorTrainer.Cli.Tests.Reporting;

public class ChartFilesTests
{
    [Fact]
    public void Line_chart_writes_one_png_of_the_plot_size()
    {
        using var dir = new TempDir();
        new LineChart("training loss", "run: H=8", "update", "loss (nats/char)") { X = AxisScale.Integer }
            .Add("train", [1, 2, 3], [4, 3, 2.5]).SavePng(dir.File("loss.png"));
        CliHarness.AssertPng(dir.File("loss.png"));
        Assert.Equal(["loss.png"], Directory.GetFiles(dir.Path).Select(Path.GetFileName)); // no temp file left behind
    }

    [Fact]
    public void Histogram_writes_a_png_of_the_plot_size()
    {
        using var dir = new TempDir();
        new IntegerHistogram("staleness", "run", "staleness", "gradients", [3, 2, 1]).SavePng(dir.File("staleness.png"));
        CliHarness.AssertPng(dir.File("staleness.png"));
    }

    [Fact]
    public void Every_font_name_resolves_to_the_embedded_typeface_so_labels_need_no_system_fonts()
    {
        PlotFont.Ensure();
        foreach (string name in new[] { PlotFont.Name, "Arial", "no such font" })
        {
            var typeface = Fonts.GetTypeface(name, bold: true, italic: false); // cached by ScottPlot: not ours to dispose
            Assert.Equal(PlotFont.Name, typeface.FamilyName);
            Assert.True(typeface.ContainsGlyphs("training loss ‖∂Lₜ/∂hₜ₋ₖ‖ ρ ÷ × 10⁻⁴"), $"{name}: glyphs missing");
        }
    }
}
