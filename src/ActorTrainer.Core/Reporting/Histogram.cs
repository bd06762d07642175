namespace ActorTrainer.Core.Reporting;

/// <summary>
/// Histogram of values in equal-width bins over [min, max] of the finite values (the maximum
/// falls in the last bin). NaN and ±∞ are not binned; they are counted in
/// <see cref="NonFiniteCount"/> and shown in the corner label.
/// <code>new Histogram("gradient norms", "norm") { Bins = 50 }.AddValues(norms).SavePng("norms.png");</code>
/// </summary>
public sealed class Histogram(string title, string xLabel, string yLabel = "count") : Plot(title, xLabel, yLabel)
{
    private readonly List<double> values = [];
    private readonly int bins = 40;

    /// <summary>Number of bins, 1 … 10 000 (default 40).</summary>
    public int Bins
    {
        get => bins;
        init => bins = value is >= 1 and <= 10_000 ? value
            : throw new ArgumentOutOfRangeException(nameof(Bins), value, "bins must be in [1, 10000]");
    }

    public Rgb Color { get; init; } = Rgb.Palette[0];

    /// <summary>Finite values added.</summary>
    public int Count => values.Count;

    /// <summary>NaN / ±∞ values added (not binned).</summary>
    public long NonFiniteCount { get; private set; }

    public Histogram AddValues(IEnumerable<double> xs)
    {
        ArgumentNullException.ThrowIfNull(xs);
        foreach (double x in xs) Add(x);
        return this;
    }

    public Histogram AddValues(ReadOnlySpan<float> xs)
    {
        foreach (float x in xs) Add(x);
        return this;
    }

    private void Add(double x)
    {
        if (double.IsFinite(x)) values.Add(x);
        else NonFiniteCount++;
    }

    /// <summary>Bin edges (Bins + 1) and counts (Bins). With no values: edges over [0, 1], zero counts.</summary>
    public (double[] Edges, long[] Counts) ComputeBins()
    {
        double lo = values.Count > 0 ? values.Min() : 0, hi = values.Count > 0 ? values.Max() : 1;
        if (hi == lo) { lo -= 0.5; hi += 0.5; }
        double width = (hi - lo) / bins;
        var edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++) edges[i] = lo + i * width;
        edges[bins] = hi;
        var counts = new long[bins];
        foreach (double v in values) counts[Math.Min((int)((v - lo) / width), bins - 1)]++;
        return (edges, counts);
    }

    protected override (AxisTicks X, AxisTicks Y) ComputeAxes()
    {
        var (edges, counts) = ComputeBins();
        return (AxisTicks.Linear(edges[0], edges[^1]), AxisTicks.Linear(0, Math.Max(1, counts.Max())));
    }

    protected override void DrawData(RgbImage img, PlotArea area)
    {
        var (edges, counts) = ComputeBins();
        int y0 = area.ToPixelY(0);
        Rgb outline = new((byte)(Color.R * 0.6), (byte)(Color.G * 0.6), (byte)(Color.B * 0.6));
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0) continue;
            int x0 = area.ToPixelX(edges[i]), x1 = area.ToPixelX(edges[i + 1]);
            int top = area.ToPixelY(counts[i]);
            img.FillRect(x0, top, Math.Max(1, x1 - x0), y0 - top + 1, Color);
            if (x1 - x0 >= 4) img.DrawRect(x0, top, x1 - x0 + 1, y0 - top + 1, outline);
        }
    }

    protected override void DrawLegend(RgbImage img, PlotArea area)
    {
        string label = NonFiniteCount > 0 ? $"n = {Count}, non-finite = {NonFiniteCount}" : $"n = {Count}";
        int w = BitmapFont.MeasureWidth(label) + 12, x = area.Left + area.Width - w - 8, y = area.Top + 8;
        img.FillRect(x, y, w, BitmapFont.GlyphHeight + 12, Rgb.White);
        img.DrawRect(x, y, w, BitmapFont.GlyphHeight + 12, Rgb.Gray);
        BitmapFont.Draw(img, x + 6, y + 6, label, Rgb.Black);
    }
}
