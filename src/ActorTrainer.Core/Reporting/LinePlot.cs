namespace ActorTrainer.Core.Reporting;

/// <summary>One named line of a <see cref="LinePlot"/>.</summary>
public sealed record PlotSeries(string Name, double[] X, double[] Y, Rgb Color);

/// <summary>
/// Line chart of named series with nice ticks, grid, legend and an optional log-scale Y axis.
/// <code>
/// new LinePlot("loss", "step", "loss") { LogY = true }
///     .AddSeries("train", steps, train).AddSeries("validation", evalSteps, val)
///     .SavePng("loss.png");
/// </code>
/// Points with a NaN or infinite coordinate are skipped and break the line there (a diverged run
/// shows a gap, not a crash). With <see cref="LogY"/>, a finite y ≤ 0 is an error: ArgumentException
/// naming the series, index and value (silently dropping it would hide a bug in the caller).
/// Series with at most 40 points also get a marker per point.
/// </summary>
public sealed class LinePlot(string title, string xLabel, string yLabel) : Plot(title, xLabel, yLabel)
{
    public const int MarkerThreshold = 40;
    private readonly List<PlotSeries> series = [];

    /// <summary>Log-10 Y axis; all finite y must then be &gt; 0.</summary>
    public bool LogY { get; init; }

    /// <summary>Line thickness in pixels.</summary>
    public int LineWidth { get; init; } = 2;

    public IReadOnlyList<PlotSeries> Series => series;

    /// <summary>Adds a series (copies the data); colour from the palette unless given. ArgumentException if lengths differ.</summary>
    public LinePlot AddSeries(string name, IReadOnlyList<double> xs, IReadOnlyList<double> ys, Rgb? color = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(xs);
        ArgumentNullException.ThrowIfNull(ys);
        if (xs.Count != ys.Count)
            throw new ArgumentException($"series '{name}' has {xs.Count} x values but {ys.Count} y values", nameof(ys));
        var s = new PlotSeries(name, xs.ToArray(), ys.ToArray(), color ?? Rgb.Palette[series.Count % Rgb.Palette.Count]);
        if (LogY) CheckPositive(s);
        series.Add(s);
        return this;
    }

    /// <summary>Adds a series with x = 0, 1, 2, ….</summary>
    public LinePlot AddSeries(string name, IReadOnlyList<double> ys, Rgb? color = null) =>
        AddSeries(name, Enumerable.Range(0, ys.Count).Select(i => (double)i).ToArray(), ys, color);

    protected override (AxisTicks X, AxisTicks Y) ComputeAxes()
    {
        if (LogY) foreach (var s in series) CheckPositive(s);
        double xlo = double.PositiveInfinity, xhi = double.NegativeInfinity, ylo = xlo, yhi = xhi;
        foreach (var s in series)
            for (int i = 0; i < s.X.Length; i++)
            {
                if (!IsDrawable(s.X[i], s.Y[i])) continue;
                xlo = Math.Min(xlo, s.X[i]); xhi = Math.Max(xhi, s.X[i]);
                ylo = Math.Min(ylo, s.Y[i]); yhi = Math.Max(yhi, s.Y[i]);
            }
        bool empty = xlo > xhi;
        var x = empty ? AxisTicks.Linear(0, 1) : AxisTicks.Linear(xlo, xhi);
        var y = LogY ? (empty ? AxisTicks.Log10(1, 10) : AxisTicks.Log10(ylo, yhi))
                     : (empty ? AxisTicks.Linear(0, 1) : AxisTicks.Linear(ylo, yhi));
        return (x, y);
    }

    protected override void DrawData(RgbImage img, PlotArea area)
    {
        foreach (var s in series)
        {
            int drawable = 0;
            for (int i = 0; i < s.X.Length; i++) if (IsDrawable(s.X[i], s.Y[i])) drawable++;
            bool markers = drawable <= MarkerThreshold;
            bool havePrev = false;
            double px = 0, py = 0;
            for (int i = 0; i < s.X.Length; i++)
            {
                if (!IsDrawable(s.X[i], s.Y[i])) { havePrev = false; continue; } // gap in the line
                double cx = area.PixelX(s.X[i]), cy = area.PixelY(s.Y[i]);
                if (havePrev) area.DrawClippedLine(img, px, py, cx, cy, s.Color, LineWidth);
                if (markers) img.FillRect((int)Math.Round(cx) - 2, (int)Math.Round(cy) - 2, 5, 5, s.Color);
                (px, py, havePrev) = (cx, cy, true);
            }
        }
    }

    protected override void DrawLegend(RgbImage img, PlotArea area) =>
        DrawLegendBox(img, area, series.Select(s => (s.Name, s.Color)).ToList());

    private bool IsDrawable(double x, double y) => double.IsFinite(x) && double.IsFinite(y) && (!LogY || y > 0);

    private static void CheckPositive(PlotSeries s)
    {
        for (int i = 0; i < s.Y.Length; i++)
            if (double.IsFinite(s.Y[i]) && s.Y[i] <= 0)
                throw new ArgumentException(
                    $"series '{s.Name}' has y = {s.Y[i]} at index {i}; a log-scale Y axis needs positive values");
    }
}
