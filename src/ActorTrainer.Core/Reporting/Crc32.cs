namespace ActorTrainer.Core.Reporting;

/// <summary>
/// CRC-32 as used by PNG and zlib's gzip (ISO-HDLC: reflected polynomial 0xEDB88320, initial value
/// and final XOR 0xFFFFFFFF), table-driven one byte at a time.
/// </summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>CRC of data.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>CRC of (the bytes crc was computed over) followed by data; Append(0, x) = Compute(x).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }
}
