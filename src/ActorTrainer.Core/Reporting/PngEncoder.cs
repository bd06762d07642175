using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ActorTrainer.Core.Reporting;

/// <summary>
/// Minimal PNG writer: 8-bit RGB (colour type 2), no interlace, every scanline with filter byte 0
/// (None), one IDAT chunk holding the zlib stream of all scanlines. Chunks are
/// [u32 BE length][4-byte type][data][u32 BE CRC-32 of type and data].
/// </summary>
public static class PngEncoder
{
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var ms = new MemoryStream();
        Write(ms, image);
        return ms.ToArray();
    }

    public static void Write(Stream output, RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(image);
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)image.Width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)image.Height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type: truecolour RGB
        ihdr[10] = 0; // compression: deflate
        ihdr[11] = 0; // filter method 0
        ihdr[12] = 0; // no interlace
        WriteChunk(output, "IHDR", ihdr);

        WriteChunk(output, "IDAT", Compress(image));
        WriteChunk(output, "IEND", []);
    }

    /// <summary>zlib stream of the scanlines: per row, filter byte 0 then 3·Width bytes; h·(1 + 3w) bytes in all.</summary>
    private static byte[] Compress(RgbImage image)
    {
        int rowBytes = 3 * image.Width;
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < image.Height; y++)
            {
                z.WriteByte(0);
                z.Write(image.Pixels, y * rowBytes, rowBytes);
            }
        }
        return ms.ToArray();
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, header[4..]);
        uint crc = Crc32.Append(Crc32.Compute(header[4..]), data);
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(trailer, crc);
        output.Write(header);
        output.Write(data);
        output.Write(trailer);
    }
}
