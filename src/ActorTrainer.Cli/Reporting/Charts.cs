using System.Text;
using ActorTrainer.Core.Reporting;
using ScottPlot;

namespace ActorTrainer.Cli.Reporting;

/// <summary>
/// The frame every plot shares (font, title with a line of settings under it, axis labels, tick
/// rules) and how a plot is written: a PNG, atomically. No SVG: Skia's SVG canvas drops dash patterns
/// (reference lines would turn solid) and prints "Unsupported path effect" on the console for each.
/// </summary>
public static class Charts
{
    public const int Width = 960, Height = 540;

    /// <summary>Colours of data series: ScottPlot's Category10 without its grey, which reference lines use.</summary>
    public static readonly IReadOnlyList<Color> Palette =
        new ScottPlot.Palettes.Category10().Colors.Where(c => c.ToHex() != "#7F7F7F").ToArray();

    /// <summary>Colour of the main reference line (ideal scaling), and of secondary ones (bounds, thresholds).</summary>
    public static readonly Color Reference = Colors.Black, MutedReference = Color.FromHex("#7F7F7F");

    /// <summary>A plot with the shared style; <paramref name="subtitle"/> (the run and its settings) goes under the title in smaller type.</summary>
    public static Plot Create(string title, string subtitle, string xLabel, string yLabel, AxisScale x, AxisScale y)
    {
        PlotFont.Ensure();
        var plot = new Plot();
        plot.Font.Set(PlotFont.Name);
        plot.Axes.Title.Label.Text = title;
        plot.Axes.Title.Label.FontSize = 17;
        plot.Axes.Title.Label.Bold = false;
        if (subtitle.Length > 0)
        {
            var caption = new ScottPlot.Panels.TitlePanel();
            caption.Label.Text = Wrap(subtitle, CaptionChars);
            caption.Label.FontSize = 13;
            caption.Label.Bold = false;
            caption.Label.ForeColor = Color.FromHex("#404040");
            plot.Axes.AddPanel(caption);
        }
        plot.XLabel(xLabel, 14);
        plot.YLabel(yLabel, 14);
        plot.Axes.Bottom.Label.Bold = plot.Axes.Left.Label.Bold = false;
        plot.Axes.Bottom.TickLabelStyle.FontSize = plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Axes.Bottom.TickGenerator = TickRules.For(x);
        plot.Axes.Left.TickGenerator = TickRules.For(y);
        return plot;
    }

    /// <summary>Characters of caption per line: 13-point DejaVu Sans takes up to ~9 px a character, and the plot is 960 px wide.</summary>
    private const int CaptionChars = 100;

    /// <summary>Breaks text at spaces into lines of at most <paramref name="max"/> characters (a longer word keeps its own line).</summary>
    public static string Wrap(string text, int max)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (string word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > max) { lines.Add(line.ToString()); line.Clear(); }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        lines.Add(line.ToString());
        return string.Join('\n', lines);
    }

    /// <summary>Writes the plot to <paramref name="pngPath"/> (temp file, then rename).</summary>
    public static void Save(Plot plot, string pngPath, int width = Width, int height = Height) =>
        AtomicFile.WriteAllBytes(pngPath, plot.GetImageBytes(width, height, ImageFormat.Png));
}
