using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ActorTrainer.Core.Tests.Reporting;

/// <summary>Independent PNG reader for tests: chunk walk, bitwise CRC-32 (no table), zlib inflate.</summary>
internal static class PngTestDecoder
{
    public sealed record PngChunk(string Type, byte[] Data, uint StoredCrc);

    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>CRC-32 bit by bit, straight from the PNG specification's definition.</summary>
    public static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB88320 : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }

    public static List<PngChunk> Chunks(byte[] png)
    {
        Assert.Equal(Signature, png[..8]);
        var chunks = new List<PngChunk>();
        int p = 8;
        while (p < png.Length)
        {
            int len = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(p));
            string type = Encoding.ASCII.GetString(png, p + 4, 4);
            byte[] data = png[(p + 8)..(p + 8 + len)];
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(p + 8 + len));
            Assert.Equal(BitwiseCrc(png.AsSpan(p + 4, 4 + len)), crc);
            chunks.Add(new PngChunk(type, data, crc));
            p += 12 + len;
        }
        Assert.Equal(png.Length, p);
        return chunks;
    }

    public static (int Width, int Height) Dimensions(byte[] png)
    {
        var ihdr = Chunks(png)[0];
        Assert.Equal("IHDR", ihdr.Type);
        return ((int)BinaryPrimitives.ReadUInt32BigEndian(ihdr.Data), (int)BinaryPrimitives.ReadUInt32BigEndian(ihdr.Data.AsSpan(4)));
    }

    /// <summary>The inflated concatenation of all IDAT chunks.</summary>
    public static byte[] Inflate(byte[] png)
    {
        var z = Chunks(png).Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
        using var input = new ZLibStream(new MemoryStream(z), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
