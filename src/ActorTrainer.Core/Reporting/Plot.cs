namespace ActorTrainer.Core.Reporting;

/// <summary>
/// Common frame of the PNG plots: title, axis titles, tick labels, grid, and the data area that a
/// subclass draws into. Rendering is deterministic and needs no fonts or native libraries.
/// </summary>
public abstract class Plot
{
    public const int MinWidth = 200, MinHeight = 150;

    public string Title { get; }
    public string XLabel { get; }
    public string YLabel { get; }

    protected Plot(string title, string xLabel, string yLabel)
    {
        Title = title ?? "";
        XLabel = xLabel ?? "";
        YLabel = yLabel ?? "";
    }

    /// <summary>Draws the plot into a new width×height image. ArgumentOutOfRangeException below 200×150.</summary>
    public RgbImage Render(int width = 800, int height = 500)
    {
        var area = Layout(width, height);
        var img = new RgbImage(width, height, Rgb.White);

        DrawGridAndTicks(img, area);
        DrawData(img, area);
        img.DrawRect(area.Left, area.Top, area.Width, area.Height, Rgb.Black); // crisp frame over any data spill
        DrawLegend(img, area);

        if (Title.Length > 0)
            BitmapFont.Draw(img, (width - BitmapFont.MeasureWidth(Title, 2)) / 2, 12, Title, Rgb.Black, scale: 2);
        if (XLabel.Length > 0)
            BitmapFont.Draw(img, area.Left + (area.Width - BitmapFont.MeasureWidth(XLabel)) / 2,
                            height - 10 - BitmapFont.GlyphHeight, XLabel, Rgb.Black);
        if (YLabel.Length > 0)
            BitmapFont.DrawVertical(img, 10, area.Top + (area.Height + BitmapFont.MeasureWidth(YLabel)) / 2, YLabel, Rgb.Black);
        return img;
    }

    /// <summary>
    /// Where the data rectangle of a width×height rendering lies, with the axes for the current data.
    /// ArgumentOutOfRangeException below 200×150; ArgumentException for data the axes cannot show.
    /// </summary>
    public PlotArea Layout(int width, int height)
    {
        if (width < MinWidth || height < MinHeight)
            throw new ArgumentOutOfRangeException(nameof(width), $"plot size {width}×{height} is below the minimum {MinWidth}×{MinHeight}");
        var (xAxis, yAxis) = ComputeAxes();
        int tickLabelWidth = yAxis.Ticks.Select(t => BitmapFont.MeasureWidth(AxisTicks.Format(t))).DefaultIfEmpty(0).Max();
        int left = 10 + (YLabel.Length > 0 ? BitmapFont.GlyphHeight + 8 : 0) + tickLabelWidth + 8;
        int top = Title.Length > 0 ? 12 + BitmapFont.MeasureHeight(2) + 10 : 14;
        int bottom = 8 + BitmapFont.GlyphHeight + (XLabel.Length > 0 ? 10 + BitmapFont.GlyphHeight : 0) + 10;
        int right = 20;
        return new PlotArea(left, top, width - left - right, height - top - bottom, xAxis, yAxis);
    }

    /// <summary>The rendered plot as PNG bytes.</summary>
    public byte[] ToPng(int width = 800, int height = 500) => PngEncoder.Encode(Render(width, height));

    /// <summary>Renders and writes a PNG atomically (temp file in the same directory, then move).</summary>
    public void SavePng(string path, int width = 800, int height = 500) => AtomicFile.WriteAllBytes(path, ToPng(width, height));

    /// <summary>The axes for the current data (may throw ArgumentException for data the axes cannot show).</summary>
    protected abstract (AxisTicks X, AxisTicks Y) ComputeAxes();

    /// <summary>Draws the data inside area.</summary>
    protected abstract void DrawData(RgbImage img, PlotArea area);

    /// <summary>Draws a legend (none by default).</summary>
    protected virtual void DrawLegend(RgbImage img, PlotArea area) { }

    /// <summary>Legend box in the top-right corner of the area: a colour swatch and a name per entry.</summary>
    protected static void DrawLegendBox(RgbImage img, PlotArea area, IReadOnlyList<(string Name, Rgb Color)> entries)
    {
        if (entries.Count == 0) return;
        const int swatch = 18, pad = 6, line = 12;
        int w = pad + swatch + 6 + entries.Max(e => BitmapFont.MeasureWidth(e.Name)) + pad;
        int h = pad + entries.Count * line - (line - BitmapFont.GlyphHeight) + pad;
        int x = area.Left + area.Width - w - 8, y = area.Top + 8;
        img.FillRect(x, y, w, h, Rgb.White);
        img.DrawRect(x, y, w, h, Rgb.Gray);
        for (int i = 0; i < entries.Count; i++)
        {
            int ty = y + pad + i * line;
            img.DrawLine(x + pad, ty + 3, x + pad + swatch, ty + 3, entries[i].Color, thickness: 2);
            BitmapFont.Draw(img, x + pad + swatch + 6, ty, entries[i].Name, Rgb.Black);
        }
    }

    private static void DrawGridAndTicks(RgbImage img, PlotArea a)
    {
        foreach (double t in a.X.Ticks)
        {
            int px = a.ToPixelX(t);
            img.DrawLine(px, a.Top + 1, px, a.Top + a.Height - 2, Rgb.LightGray);
            img.DrawLine(px, a.Top + a.Height, px, a.Top + a.Height + 4, Rgb.Black);
            string label = AxisTicks.Format(t);
            BitmapFont.Draw(img, px - BitmapFont.MeasureWidth(label) / 2, a.Top + a.Height + 8, label, Rgb.Black);
        }
        foreach (double t in a.Y.Ticks)
        {
            int py = a.ToPixelY(t);
            img.DrawLine(a.Left + 1, py, a.Left + a.Width - 2, py, Rgb.LightGray);
            img.DrawLine(a.Left - 5, py, a.Left - 1, py, Rgb.Black);
            string label = AxisTicks.Format(t);
            BitmapFont.Draw(img, a.Left - 8 - BitmapFont.MeasureWidth(label), py - BitmapFont.GlyphHeight / 2, label, Rgb.Black);
        }
    }
}

/// <summary>The data rectangle of a plot (pixels, top-left origin) and its axes.</summary>
public readonly record struct PlotArea(int Left, int Top, int Width, int Height, AxisTicks X, AxisTicks Y)
{
    public double PixelX(double x) => Left + X.Fraction(x) * (Width - 1);
    public double PixelY(double y) => Top + (1 - Y.Fraction(y)) * (Height - 1);
    public int ToPixelX(double x) => (int)Math.Round(PixelX(x));
    public int ToPixelY(double y) => (int)Math.Round(PixelY(y));

    /// <summary>Whether pixel (x, y) lies inside the rectangle, frame included.</summary>
    public bool Contains(int x, int y) => x >= Left && x < Left + Width && y >= Top && y < Top + Height;

    /// <summary>
    /// Draws the segment between two pixel positions, clipped to the rectangle (Liang–Barsky), so
    /// points far outside never reach the rasteriser.
    /// </summary>
    public void DrawClippedLine(RgbImage img, double x0, double y0, double x1, double y1, Rgb c, int thickness)
    {
        double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
        double xmin = Left, xmax = Left + Width - 1, ymin = Top, ymax = Top + Height - 1;
        if (!Clip(-dx, x0 - xmin, ref t0, ref t1) || !Clip(dx, xmax - x0, ref t0, ref t1) ||
            !Clip(-dy, y0 - ymin, ref t0, ref t1) || !Clip(dy, ymax - y0, ref t0, ref t1))
            return;
        img.DrawLine((int)Math.Round(x0 + t0 * dx), (int)Math.Round(y0 + t0 * dy),
                     (int)Math.Round(x0 + t1 * dx), (int)Math.Round(y0 + t1 * dy), c, thickness);
    }

    private static bool Clip(double p, double q, ref double t0, ref double t1)
    {
        if (p == 0) return q >= 0;
        double r = q / p;
        if (p < 0) { if (r > t1) return false; if (r > t0) t0 = r; }
        else { if (r < t0) return false; if (r < t1) t1 = r; }
        return true;
    }
}
