using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Core.Tests.Reporting;

public class BitmapFontTests
{
    private static string Bits(char c) =>
        string.Concat(Enumerable.Range(0, 35).Select(i => BitmapFont.IsOn(c, i % 5, i / 5) ? '#' : '.'));

    [Fact]
    public void Every_printable_character_has_its_own_glyph_and_space_is_blank()
    {
        Assert.DoesNotContain('#', Bits(' '));
        var seen = new Dictionary<string, char>();
        for (char c = '!'; c <= '~'; c++)
        {
            string bits = Bits(c);
            Assert.Contains('#', bits);
            Assert.False(seen.TryGetValue(bits, out char other), $"'{c}' has the same glyph as '{other}'");
            seen[bits] = c;
        }
    }

    [Fact]
    public void Unsupported_characters_draw_as_question_mark()
    {
        Assert.Equal(Bits('?'), Bits('é'));
        Assert.Equal(Bits('?'), Bits('\n'));
    }

    private static int Count(RgbImage img, Rgb c)
    {
        int n = 0;
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
                if (img[x, y] == c) n++;
        return n;
    }

    [Fact]
    public void Text_is_drawn_inside_its_measured_box_at_any_scale_and_orientation()
    {
        const string text = "Loss 0.25";
        int on = text.Sum(c => Bits(c).Count(b => b == '#'));
        foreach (int scale in new[] { 1, 2 })
        {
            var img = new RgbImage(200, 100, Rgb.White);
            BitmapFont.Draw(img, 10, 20, text, Rgb.Black, scale);
            Assert.Equal(on * scale * scale, Count(img, Rgb.Black));
            int w = BitmapFont.MeasureWidth(text, scale), h = BitmapFont.MeasureHeight(scale);
            for (int y = 0; y < img.Height; y++)
                for (int x = 0; x < img.Width; x++)
                    if (img[x, y] == Rgb.Black)
                        Assert.True(x >= 10 && x < 10 + w && y >= 20 && y < 20 + h, $"pixel ({x},{y}) outside the text box");

            var vertical = new RgbImage(100, 200, Rgb.White);
            BitmapFont.DrawVertical(vertical, 20, 150, text, Rgb.Black, scale);
            Assert.Equal(on * scale * scale, Count(vertical, Rgb.Black));
            for (int y = 0; y < vertical.Height; y++)
                for (int x = 0; x < vertical.Width; x++)
                    if (vertical[x, y] == Rgb.Black)
                        Assert.True(x >= 20 && x < 20 + h && y < 150 && y >= 150 - w, $"pixel ({x},{y}) outside the vertical text box");
        }
    }
}
