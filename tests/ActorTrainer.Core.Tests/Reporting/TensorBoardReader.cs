using System.Buffers.Binary;
using Google.Protobuf;

namespace ActorTrainer.Core.Tests.Reporting;

/// <summary>
/// Reads a TensorBoard event file back for tests, independently of the writer: checks every record's
/// TFRecord framing (length, masked CRC-32C of the length, data, masked CRC-32C of the data) with a
/// bitwise CRC-32C written here from its definition, and decodes Event / Summary / HistogramProto
/// by TensorFlow's field numbers. InvalidDataException for any framing or CRC error.
/// </summary>
internal static class TensorBoardReader
{
    internal sealed record Histo(double Min, double Max, double Num, double Sum, double SumSquares, double[] Limits, double[] Buckets);
    internal sealed record Value(string Tag, float? Simple, Histo? Histogram);
    internal sealed record Event(double WallTime, long Step, string? FileVersion, IReadOnlyList<Value> Values);

    /// <summary>CRC-32C bit by bit: reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF.</summary>
    public static uint ReferenceCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        return ~crc;
    }

    public static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = ReferenceCrc32C(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8);
    }

    /// <summary>The records' payloads, framing checked.</summary>
    public static List<byte[]> ReadRecords(byte[] file)
    {
        var records = new List<byte[]>();
        int at = 0;
        while (at < file.Length)
        {
            if (file.Length - at < 12) throw new InvalidDataException($"truncated record header at {at}");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(at));
            if (BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 8)) != Masked(file.AsSpan(at, 8)))
                throw new InvalidDataException($"length CRC mismatch at {at}");
            if (length > (ulong)(file.Length - at - 16)) throw new InvalidDataException($"record at {at} runs past the end");
            var data = file.AsSpan(at + 12, (int)length);
            if (BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 12 + (int)length)) != Masked(data))
                throw new InvalidDataException($"data CRC mismatch at {at}");
            records.Add(data.ToArray());
            at += 16 + (int)length;
        }
        return records;
    }

    public static List<Event> Read(string path) => ReadRecords(File.ReadAllBytes(path)).Select(ParseEvent).ToList();

    private static Event ParseEvent(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        double wall = 0; long step = 0; string? version = null;
        var values = new List<Value>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: wall = input.ReadDouble(); break;
                case 2: step = input.ReadInt64(); break;
                case 3: version = input.ReadString(); break;
                case 5: values.AddRange(ParseSummary(input.ReadBytes().ToByteArray())); break;
                default: input.SkipLastField(); break;
            }
        }
        return new Event(wall, step, version, values);
    }

    private static List<Value> ParseSummary(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        var values = new List<Value>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1) values.Add(ParseValue(input.ReadBytes().ToByteArray()));
            else input.SkipLastField();
        }
        return values;
    }

    private static Value ParseValue(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        string name = ""; float? simple = null; Histo? histo = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: name = input.ReadString(); break;
                case 2: simple = input.ReadFloat(); break;
                case 5: histo = ParseHisto(input.ReadBytes().ToByteArray()); break;
                default: input.SkipLastField(); break;
            }
        }
        return new Value(name, simple, histo);
    }

    private static Histo ParseHisto(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        var d = new double[5];
        var limits = new List<double>(); var buckets = new List<double>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            if (field is >= 1 and <= 5) d[field - 1] = input.ReadDouble();
            else if (field is 6 or 7)
            {
                var list = field == 6 ? limits : buckets;
                if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    var packed = input.ReadBytes().ToByteArray();
                    for (int i = 0; i < packed.Length; i += 8) list.Add(BinaryPrimitives.ReadDoubleLittleEndian(packed.AsSpan(i)));
                }
                else list.Add(input.ReadDouble());
            }
            else input.SkipLastField();
        }
        return new Histo(d[0], d[1], d[2], d[3], d[4], limits.ToArray(), buckets.ToArray());
    }
}
