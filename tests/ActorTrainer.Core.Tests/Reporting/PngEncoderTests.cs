using System.Text;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Core.Tests.Reporting;

public class PngEncoderTests
{
    [Fact]
    public void Crc32_matches_the_published_check_value_and_a_bitwise_reference()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        var rng = new Random(4);
        for (int n = 0; n < 300; n += 7)
        {
            var data = new byte[n];
            rng.NextBytes(data);
            Assert.Equal(PngTestDecoder.BitwiseCrc(data), Crc32.Compute(data));
            int cut = n / 3;
            Assert.Equal(Crc32.Compute(data), Crc32.Append(Crc32.Compute(data.AsSpan(0, cut)), data.AsSpan(cut)));
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(200, 150)]
    public void Png_has_signature_valid_chunks_and_the_image_rows(int w, int h)
    {
        var img = new RgbImage(w, h, new Rgb(10, 20, 30));
        var rng = new Random(w * 1000 + h);
        for (int i = 0; i < 50; i++) img.Set(rng.Next(w), rng.Next(h), new Rgb((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));

        byte[] png = PngEncoder.Encode(img);

        var chunks = PngTestDecoder.Chunks(png); // also checks every CRC
        Assert.Equal(new[] { "IHDR", "IDAT", "IEND" }, chunks.Select(c => c.Type));
        Assert.Equal((w, h), PngTestDecoder.Dimensions(png));
        Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, chunks[0].Data[8..]); // 8-bit RGB, deflate, filter 0, no interlace
        Assert.Empty(chunks[2].Data);

        byte[] raw = PngTestDecoder.Inflate(png);
        Assert.Equal(h * (1 + 3 * w), raw.Length);
        for (int y = 0; y < h; y++)
        {
            Assert.Equal(0, raw[y * (1 + 3 * w)]); // filter None
            Assert.Equal(img.Pixels.AsSpan(y * 3 * w, 3 * w).ToArray(), raw.AsSpan(y * (1 + 3 * w) + 1, 3 * w).ToArray());
        }
    }
}
