using System.Globalization;
using ScottPlot;

namespace ActorTrainer.Cli.Reporting;

/// <summary>
/// A histogram of integer data given as counts: bar i stands for the value i, centred on it and one
/// unit wide ([i − ½, i + ½]), so every integer has its own bar and its tick sits under the bar's
/// middle. Values past the last non-zero count are not drawn. With <paramref name="lastIsOpen"/> the
/// last count holds every value from its index up (a capped histogram) and its tick reads "≥ n".
/// </summary>
public sealed class IntegerHistogram(string title, string subtitle, string xLabel, string yLabel, IReadOnlyList<long> counts, bool lastIsOpen = false)
{
    /// <summary>One bar per value 0 … last non-zero count (at least value 0): position i, width 1.</summary>
    public static IReadOnlyList<Bar> Bars(IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        int last = Math.Max(0, LastNonZero(counts));
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
        foreach (var b in bars)
        {
            b.FillColor = Charts.Palette[0];
            b.LineColor = Charts.Palette[0].Darken(0.4);
            b.LineWidth = 1;
        }
        plot.Add.Bars(bars.ToList());
        if (lastIsOpen && counts.Count > 0 && bars.Count == counts.Count)
        {
            var ticks = (ScottPlot.TickGenerators.NumericManual)(plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual());
            var auto = TickRules.Integer(-0.5, bars.Count - 0.5, TickRules.MaxTicks(Charts.Width * 0.8f, horizontal: true));
            foreach (var t in auto.Where(t => t.Position < bars.Count - 1)) ticks.AddMajor(t.Position, t.Label);
            ticks.AddMajor(bars.Count - 1, "≥ " + (bars.Count - 1).ToString(CultureInfo.InvariantCulture));
        }
        plot.Axes.SetLimitsX(-0.5 - 0.02 * bars.Count, bars.Count - 0.5 + 0.02 * bars.Count);
        plot.Axes.SetLimitsY(0, Math.Max(1, bars.Max(b => b.Value)) * 1.08);
        return plot;
    }

    /// <summary>Renders and writes the PNG, and the same plot as SVG beside it.</summary>
    public void SavePng(string pngPath) => Charts.Save(ToPlot(), pngPath);

    private static int LastNonZero(IReadOnlyList<long> counts)
    {
        for (int i = counts.Count - 1; i >= 0; i--) if (counts[i] != 0) return i;
        return -1;
    }
}
