using System.Globalization;
using ScottPlot;

namespace ActorTrainer.Cli.Reporting;

/// <summary>
/// A histogram of integer data given as counts: bar i stands for the value i, centred on it and one
/// unit wide ([i − ½, i + ½]), so every integer has its own bar and its tick sits under the bar's
/// middle. Values past the last non-zero count are not drawn. A bar under 5 % of the tallest one
/// carries its count above it, so that a rare value (a straggler's staleness) is not read as zero.
/// </summary>
public sealed class IntegerHistogram(string title, string subtitle, string xLabel, string yLabel, IReadOnlyList<long> counts)
{
    /// <summary>One bar per value 0 … last non-zero count (at least value 0): position i, width 1.</summary>
    public static IReadOnlyList<Bar> Bars(IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        int last = 0;
        for (int i = 0; i < counts.Count; i++) if (counts[i] != 0) last = i;
        return Enumerable.Range(0, last + 1).Select(i => new Bar
        {
            Position = i,
            Size = 1,
            Value = i < counts.Count ? counts[i] : 0,
        }).ToArray();
    }

    public Plot ToPlot()
    {
        var plot = Charts.Create(title, subtitle, xLabel, yLabel, AxisScale.Integer, AxisScale.Integer);
        var bars = Bars(counts);
        double tallest = Math.Max(1, bars.Max(b => b.Value));
        foreach (var b in bars)
        {
            b.FillColor = Charts.Palette[0];
            b.LineColor = Charts.Palette[0].Darken(0.4);
            b.LineWidth = 1;
            if (b.Value > 0 && b.Value < 0.05 * tallest) b.Label = b.Value.ToString("N0", CultureInfo.InvariantCulture);
        }
        var barPlot = plot.Add.Bars(bars.ToList());
        barPlot.ValueLabelStyle.FontSize = 11;
        plot.Axes.SetLimitsX(-0.5 - 0.02 * bars.Count, bars.Count - 0.5 + 0.02 * bars.Count);
        plot.Axes.SetLimitsY(0, tallest * 1.08);
        return plot;
    }

    /// <summary>Renders and writes the PNG.</summary>
    public void SavePng(string pngPath) => Charts.Save(ToPlot(), pngPath);
}
