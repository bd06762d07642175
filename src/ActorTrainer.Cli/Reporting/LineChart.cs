using ScottPlot;

namespace ActorTrainer.Cli.Reporting;

/// <summary>
/// A line chart drawn by ScottPlot: named data series in palette colours, dashed reference lines
/// (ideal, bounds, thresholds) drawn over the data (black over grey), and the legend outside the data area so it hides
/// nothing. Ticks follow each axis's <see cref="AxisScale"/>.
/// <code>
/// new LineChart("training loss", "run a: H=128", "update", "loss (nats/char)") { X = AxisScale.Integer }
///     .Add("train", updates, loss).AddReference("target", [0, 4000], [1.5, 1.5]).SavePng("loss.png");
/// </code>
/// Points with a NaN or infinite coordinate break the line there (a diverged run shows a gap). On a
/// <see cref="AxisScale.Log10"/> axis a finite value ≤ 0 is an ArgumentException naming the series
/// and index: dropping it silently would hide a bug in the caller. Series of at most
/// <see cref="MarkerThreshold"/> points get a marker per point. Past the palette's 9 colours, series
/// repeat them with another marker shape and a densely dashed line, so no two series look alike.
/// </summary>
public sealed class LineChart(string title, string subtitle, string xLabel, string yLabel)
{
    public const int MarkerThreshold = 40;
    private static readonly MarkerShape[] Shapes = [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond];

    /// <summary>How a reference line is drawn: black dashed for the one to compare against (ideal), grey for bounds and thresholds.</summary>
    public enum ReferenceStyle { BlackDashed, GreyDashed, GreyDotted }

    /// <summary>A data series' look: palette colour index and variant (0: solid line and circles; 1, 2, …: dashes and other marker shapes).</summary>
    public readonly record struct SeriesStyle(int Colour, int Variant);

    private sealed record Series(string Name, double[] X, double[] Y, ReferenceStyle? Reference, SeriesStyle? Style);

    private readonly List<Series> _series = [];

    public AxisScale X { get; init; } = AxisScale.Linear;
    public AxisScale Y { get; init; } = AxisScale.Linear;

    /// <summary>Ticks at exactly these x values (e.g. the worker counts measured) instead of the scale's rule.</summary>
    public IReadOnlyList<double>? XTicks { get; init; }

    /// <summary>The y axis starts at 0 (for quantities read as ratios of each other, like throughput).</summary>
    public bool YFromZero { get; init; }

    /// <summary>A marker on every point, however many (for sparse series with gaps).</summary>
    public bool Markers { get; init; }

    /// <summary>
    /// Adds a data series (copied), styled in turn from the palette or by <paramref name="style"/> (to show
    /// two factors: colour for one, variant for the other). ArgumentException if the lengths differ or a
    /// log axis gets a value ≤ 0.
    /// </summary>
    public LineChart Add(string name, IReadOnlyList<double> xs, IReadOnlyList<double> ys, SeriesStyle? style = null) =>
        Append(name, xs, ys, null, style);

    /// <summary>Adds a reference line, drawn over every data series.</summary>
    public LineChart AddReference(string name, IReadOnlyList<double> xs, IReadOnlyList<double> ys, ReferenceStyle style = ReferenceStyle.BlackDashed) =>
        Append(name, xs, ys, style, null);

    private LineChart Append(string name, IReadOnlyList<double> xs, IReadOnlyList<double> ys, ReferenceStyle? reference, SeriesStyle? style)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(xs);
        ArgumentNullException.ThrowIfNull(ys);
        if (xs.Count != ys.Count)
            throw new ArgumentException($"series '{name}' has {xs.Count} x values but {ys.Count} y values", nameof(ys));
        CheckPositive(name, "x", xs, X);
        CheckPositive(name, "y", ys, Y);
        _series.Add(new Series(name, xs.ToArray(), ys.ToArray(), reference, style));
        return this;
    }

    /// <summary>The ScottPlot plot: data series first, references after them (so on top), legend at the right.</summary>
    public Plot ToPlot()
    {
        var plot = Charts.Create(title, subtitle, xLabel, yLabel, X, Y);
        int index = 0;
        foreach (var s in _series.OrderBy(DrawOrder))
        {
            var style = s.Style ?? new SeriesStyle(index % Charts.Palette.Count, index / Charts.Palette.Count);
            if (s.Reference is null) index++;
            int cycle = s.Reference is null ? style.Variant : 0;
            var color = s.Reference switch
            {
                null => Charts.Palette[style.Colour % Charts.Palette.Count],
                ReferenceStyle.BlackDashed => Charts.Reference,
                _ => Charts.MutedReference,
            };
            int points = s.X.Zip(s.Y).Count(p => Drawable(p.First, p.Second));
            bool first = true;
            foreach (var (xs, ys) in Segments(s))
            {
                var line = plot.Add.ScatterLine(xs.Select(v => Coordinate(v, X)).ToArray(), ys.Select(v => Coordinate(v, Y)).ToArray(), color);
                line.LineWidth = s.Reference is null ? 2f : 2.5f;
                line.LinePattern = s.Reference switch
                {
                    null => cycle == 0 ? LinePattern.Solid : LinePattern.DenselyDashed,
                    ReferenceStyle.GreyDotted => LinePattern.Dotted,
                    _ => LinePattern.Dashed,
                };
                line.MarkerShape = Shapes[cycle % Shapes.Length];
                line.MarkerSize = s.Reference is null && (Markers || points <= MarkerThreshold) ? 7 : 0;
                if (first) line.LegendText = s.Name;
                first = false;
            }
            if (first) plot.Add.ScatterLine(Array.Empty<double>(), Array.Empty<double>(), color).LegendText = s.Name + " (no finite points)";
        }
        plot.ShowLegend(Edge.Right).Alignment = Alignment.UpperLeft;
        if (XTicks is { Count: > 0 } ticks)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray(),
                ticks.Select(t => t.ToString(X == AxisScale.Integer ? "N0" : "G6", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        if (YFromZero)
        {
            plot.Axes.AutoScale();
            plot.Axes.SetLimitsY(0, plot.Axes.GetLimits().Top);
        }
        return plot;
    }

    /// <summary>Renders and writes the PNG.</summary>
    public void SavePng(string pngPath) => Charts.Save(ToPlot(), pngPath);

    /// <summary>The runs of consecutive drawable points.</summary>
    private IEnumerable<(List<double> X, List<double> Y)> Segments(Series s)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i <= s.X.Length; i++)
        {
            if (i < s.X.Length && Drawable(s.X[i], s.Y[i])) { xs.Add(s.X[i]); ys.Add(s.Y[i]); continue; }
            if (xs.Count > 0) yield return (xs, ys);
            (xs, ys) = ([], []);
        }
    }

    /// <summary>Data first, grey references over it, black ones last so nothing covers the ideal line (stable within each).</summary>
    private static int DrawOrder(Series s) => s.Reference switch { null => 0, ReferenceStyle.BlackDashed => 2, _ => 1 };

    private static bool Drawable(double x, double y) => double.IsFinite(x) && double.IsFinite(y);

    private static double Coordinate(double v, AxisScale scale) => scale == AxisScale.Log10 ? Math.Log10(v) : v;

    private static void CheckPositive(string name, string axis, IReadOnlyList<double> values, AxisScale scale)
    {
        if (scale != AxisScale.Log10) return;
        for (int i = 0; i < values.Count; i++)
            if (double.IsFinite(values[i]) && values[i] <= 0)
                throw new ArgumentException($"series '{name}' has {axis} = {values[i]} at index {i}; a log-scale axis needs positive values");
    }
}
