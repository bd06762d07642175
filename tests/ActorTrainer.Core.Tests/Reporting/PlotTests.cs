using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Core.Tests.Reporting;

public sealed class PlotTests : IDisposable
{
    private static readonly Rgb Magenta = new(255, 0, 255);
    private readonly string dir = Directory.CreateTempSubdirectory("plot-tests-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static List<(int X, int Y)> PixelsOf(RgbImage img, Rgb c)
    {
        var list = new List<(int, int)>();
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
                if (img[x, y] == c) list.Add((x, y));
        return list;
    }

    private static double[] Range(int n) => Enumerable.Range(0, n).Select(i => (double)i).ToArray();

    [Fact]
    public void Line_plot_draws_the_series_across_the_plot_area()
    {
        var xs = Range(200);
        var plot = new LinePlot("t", "x", "y").AddSeries("s", xs, xs.Select(x => Math.Sin(x / 20)).ToArray(), Magenta);
        var img = plot.Render(600, 400);
        var area = plot.Layout(600, 400);

        var inside = PixelsOf(img, Magenta).Where(p => area.Contains(p.X, p.Y)).ToList();
        Assert.True(inside.Count >= area.Width, $"only {inside.Count} series pixels in a {area.Width}-wide plot area");
        Assert.True(inside.Max(p => p.X) - inside.Min(p => p.X) >= area.Width * 0.9);
        Assert.True(inside.Max(p => p.Y) - inside.Min(p => p.Y) >= area.Height * 0.5);
    }

    [Fact]
    public void Empty_plot_renders_only_frame_and_labels()
    {
        var plot = new LinePlot("nothing", "x", "y");
        var img = plot.Render(300, 200);
        Assert.Empty(PixelsOf(img, Rgb.Palette[0]));
    }

    [Fact]
    public void Non_finite_points_break_the_line()
    {
        var xs = Range(11);
        var ys = xs.Select(_ => 1.0).ToArray();
        ys[5] = double.NaN;
        var plot = new LinePlot("gap", "x", "y").AddSeries("s", xs, ys, Magenta);
        var img = plot.Render(600, 400);
        var area = plot.Layout(600, 400);
        int from = area.ToPixelX(4) + 3, to = area.ToPixelX(6) - 3; // beyond the 5-pixel markers at x = 4 and 6
        int y = area.ToPixelY(1);
        Assert.All(Enumerable.Range(from, to - from + 1), x => Assert.NotEqual(Magenta, img[x, y]));
        Assert.Equal(Magenta, img[area.ToPixelX(4) - 10, y]); // the line is there elsewhere
    }

    [Fact]
    public void Log_scale_rejects_non_positive_values_naming_series_and_index()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new LinePlot("loss", "step", "loss") { LogY = true }.AddSeries("train", Range(3), [1.0, 0.0, 2.0]));
        Assert.Contains("'train'", ex.Message);
        Assert.Contains("index 1", ex.Message);
    }

    [Fact]
    public void Log_scale_places_decades_evenly()
    {
        var plot = new LinePlot("loss", "step", "loss") { LogY = true }.AddSeries("s", Range(3), [1.0, 10.0, 100.0]);
        var area = plot.Layout(800, 500);
        Assert.Equal(area.PixelY(1) - area.PixelY(10), area.PixelY(10) - area.PixelY(100), 6);
    }

    [Fact]
    public void Mismatched_series_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new LinePlot("t", "x", "y").AddSeries("s", Range(3), Range(4)));
    }

    [Fact]
    public void Too_small_image_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinePlot("t", "x", "y").Render(100, 100));
    }

    [Fact]
    public void Histogram_bins_values_and_counts_non_finite_separately()
    {
        var h = new Histogram("h", "v") { Bins = 2 }.AddValues([0, 0.5, 1, 1.5, 2, double.NaN, double.PositiveInfinity]);
        var (edges, counts) = h.ComputeBins();
        Assert.Equal(new[] { 0.0, 1.0, 2.0 }, edges);
        Assert.Equal(new long[] { 2, 3 }, counts); // the maximum falls in the last bin
        Assert.Equal(5, h.Count);
        Assert.Equal(2, h.NonFiniteCount);
    }

    [Fact]
    public void Histogram_draws_bars_inside_the_plot_area()
    {
        var rng = new Random(2);
        var h = new Histogram("h", "v") { Bins = 20, Color = Magenta }
            .AddValues(Enumerable.Range(0, 2000).Select(_ => rng.NextDouble() + rng.NextDouble()));
        var img = h.Render(600, 400);
        var area = h.Layout(600, 400);
        var bars = PixelsOf(img, Magenta);
        Assert.NotEmpty(bars);
        Assert.All(bars, p => Assert.True(area.Contains(p.X, p.Y)));
        Assert.True(bars.Count > area.Width * area.Height / 10);
    }

    [Fact]
    public void Histogram_of_identical_values_has_a_non_empty_range()
    {
        var (edges, counts) = new Histogram("h", "v") { Bins = 4 }.AddValues([3.0, 3.0]).ComputeBins();
        Assert.True(edges[^1] > edges[0]);
        Assert.Equal(2, counts.Sum());
    }

    [Fact]
    public void SavePng_writes_a_valid_png_atomically_and_overwrites()
    {
        string path = Path.Combine(dir, "loss.png");
        File.WriteAllText(path, "old");
        new LinePlot("loss", "step", "loss") { LogY = true }
            .AddSeries("train", Range(100), Range(100).Select(x => 4 * Math.Exp(-x / 30) + 1).ToArray())
            .SavePng(path, 640, 360);
        byte[] png = File.ReadAllBytes(path);
        Assert.Equal((640, 360), PngTestDecoder.Dimensions(png));
        Assert.Equal(360 * (1 + 3 * 640), PngTestDecoder.Inflate(png).Length);
        Assert.Equal(new[] { path }, Directory.GetFiles(dir));
    }
}
