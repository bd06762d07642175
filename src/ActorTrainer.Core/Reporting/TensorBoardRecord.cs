using System.Buffers.Binary;
using System.IO.Hashing;

namespace ActorTrainer.Core.Reporting;

/// <summary>
/// TFRecord framing, the container of TensorBoard event files: each record is
/// <code>
/// u64 length (little-endian) | u32 masked_crc32c(length bytes) | data[length] | u32 masked_crc32c(data)
/// </code>
/// with CRC-32C (Castagnoli) masked as ((crc &gt;&gt; 15) | (crc &lt;&lt; 17)) + 0xa282ead8, so a CRC of
/// data that itself holds CRCs does not look like one.
/// </summary>
public static class TensorBoardRecord
{
    private const uint MaskDelta = 0xa282ead8;

    /// <summary>CRC-32C (Castagnoli, reflected, init and final xor 0xFFFFFFFF) of data.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);

    /// <summary>The masked CRC-32C that TFRecord stores.</summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + MaskDelta;
    }

    /// <summary>Writes one framed record (header, data, footer) to stream.</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc32C(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(data));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }
}
