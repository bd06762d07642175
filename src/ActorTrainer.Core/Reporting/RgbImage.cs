namespace ActorTrainer.Core.Reporting;

/// <summary>
/// A width×height RGB8 raster, row-major from the top-left, 3 bytes per pixel, with the few
/// drawing primitives the plots need. Drawing outside the image is clipped silently.
/// </summary>
public sealed class RgbImage
{
    public int Width { get; }
    public int Height { get; }
    /// <summary>(Height×Width×3) bytes: pixel (x, y) at 3·(y·Width + x).</summary>
    public byte[] Pixels { get; }

    public RgbImage(int width, int height, Rgb background)
    {
        if (width <= 0 || height <= 0 || (long)width * height > 64L << 20)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}×{height} must be positive and at most 64 Mpixel");
        Width = width;
        Height = height;
        Pixels = new byte[3 * width * height];
        Fill(background);
    }

    public Rgb this[int x, int y]
    {
        get
        {
            if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
                throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x}, {y}) is outside the {Width}×{Height} image");
            int i = 3 * (y * Width + x);
            return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
    }

    /// <summary>Sets pixel (x, y) if it is inside the image.</summary>
    public void Set(int x, int y, Rgb c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = 3 * (y * Width + x);
        Pixels[i] = c.R; Pixels[i + 1] = c.G; Pixels[i + 2] = c.B;
    }

    public void Fill(Rgb c) => FillRect(0, 0, Width, Height, c);

    /// <summary>Fills the w×h rectangle with top-left (x, y).</summary>
    public void FillRect(int x, int y, int w, int h, Rgb c)
    {
        int x0 = Math.Max(x, 0), y0 = Math.Max(y, 0);
        int x1 = Math.Min(x + w, Width), y1 = Math.Min(y + h, Height);
        for (int py = y0; py < y1; py++)
            for (int px = x0; px < x1; px++) Set(px, py, c);
    }

    /// <summary>Outline of the w×h rectangle with top-left (x, y), one pixel wide.</summary>
    public void DrawRect(int x, int y, int w, int h, Rgb c)
    {
        DrawLine(x, y, x + w - 1, y, c);
        DrawLine(x, y + h - 1, x + w - 1, y + h - 1, c);
        DrawLine(x, y, x, y + h - 1, c);
        DrawLine(x + w - 1, y, x + w - 1, y + h - 1, c);
    }

    /// <summary>
    /// Line from (x0, y0) to (x1, y1) inclusive (Bresenham), drawn with a square pen of
    /// <paramref name="thickness"/> pixels centred on the line.
    /// </summary>
    public void DrawLine(int x0, int y0, int x1, int y1, Rgb c, int thickness = 1)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
        int err = dx + dy;
        int lo = -(thickness - 1) / 2, hi = thickness / 2;
        while (true)
        {
            if (thickness <= 1) Set(x0, y0, c);
            else FillRect(x0 + lo, y0 + lo, hi - lo + 1, hi - lo + 1, c);
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    /// <summary>Dashed horizontal line from x0 to x1 at y (dash and gap lengths in pixels).</summary>
    public void DrawDashedHorizontal(int x0, int x1, int y, Rgb c, int dash = 4, int gap = 3)
    {
        for (int x = x0; x <= x1; x++)
            if ((x - x0) % (dash + gap) < dash) Set(x, y, c);
    }

    /// <summary>Dashed vertical line from y0 to y1 at x.</summary>
    public void DrawDashedVertical(int x, int y0, int y1, Rgb c, int dash = 4, int gap = 3)
    {
        for (int y = y0; y <= y1; y++)
            if ((y - y0) % (dash + gap) < dash) Set(x, y, c);
    }
}
