using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using ActorTrainer.Actors.ParameterServer;
using Akka.Actor;
using Akka.Serialization;

namespace ActorTrainer.Actors.Serialization;

/// <summary>
/// Serializer for the three messages that carry a whole W or gradient: <see cref="PushGradient"/>,
/// <see cref="WeightsPublished"/>, <see cref="WorkerRegistered"/>. A fixed little-endian header,
/// then the floats as one raw block copy (bit-exact: NaN payloads and signed zeros survive).
///
/// Layouts (all little-endian; N = float count, then N×4 bytes of IEEE-754 binary32):
///   PushGradient     "PG1": i32 WorkerId, i64 BaseVersion, i64 ChunkId, f32 Loss, f64 GradNorm,
///                           u8 Clipped, i32 Tokens, i32 N, floats
///   WeightsPublished "WP1": i64 Version, i64 UpdateNumber, i32 N, floats
///   WorkerRegistered "WR1": i32 WorkerId, i64 Version, i32 N, floats
///   TensorPart       "TP1": i64 MessageId, i32 Index, i32 Count, i32 Offset, i32 TotalFloats,
///                           u8 head kind (0 none, 1 PG1, 2 WP1, 3 WR1), i32 head length, head bytes
///                           (the head message in its own layout, with N = 0), i32 N, floats
/// </summary>
public sealed class TensorMessageSerializer : SerializerWithStringManifest
{
    /// <summary>Serializer id on the wire; also listed under akka.actor.serialization-identifiers.</summary>
    public const int Id = 7301;

    public const string PushGradientManifest = "PG1";
    public const string WeightsPublishedManifest = "WP1";
    public const string WorkerRegisteredManifest = "WR1";
    public const string TensorPartManifest = "TP1";

    private const int PushHeader = TensorHeaders.Push + 4;           // + i32 N
    private const int PublishedHeader = TensorHeaders.Published + 4; // + i32 N
    private const int RegisteredHeader = 4 + 8 + 4;
    private const int PartHeader = 8 + 4 + 4 + 4 + 4 + 1 + 4; // up to the head bytes; then i32 N and floats

    public TensorMessageSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        PushGradient => PushGradientManifest,
        WeightsPublished => WeightsPublishedManifest,
        WorkerRegistered => WorkerRegisteredManifest,
        TensorPart => TensorPartManifest,
        _ => throw new ArgumentException($"{nameof(TensorMessageSerializer)} cannot serialize {o?.GetType().FullName ?? "null"}", nameof(o)),
    };

    /// <summary>
    /// The exact length <see cref="ToBinary"/> gives <paramref name="message"/> (header + 4 bytes per
    /// float), without serializing it; null for a message this serializer does not handle. Lets an
    /// in-process run count the bytes its tensor messages would put on the wire.
    /// </summary>
    public static long? SerializedLength(object message) => message switch
    {
        PushGradient m => PushHeader + (long)m.Gradient.Length * sizeof(float),
        WeightsPublished m => PublishedHeader + (long)m.Weights.Length * sizeof(float),
        WorkerRegistered m => RegisteredHeader + (long)m.Weights.Length * sizeof(float),
        TensorPart m => PartHeader + (m.Head is null ? 0 : SerializedLength(m.Head)!.Value) + 4 + (long)m.Values.Length * sizeof(float),
        _ => null,
    };

    public override byte[] ToBinary(object obj)
    {
        switch (obj)
        {
            case PushGradient m:
            {
                var bytes = Allocate(PushHeader, m.Gradient);
                var s = bytes.AsSpan();
                TensorHeaders.WritePush(s, m);
                WriteFloats(s[TensorHeaders.Push..], m.Gradient);
                return bytes;
            }
            case WeightsPublished m:
            {
                var bytes = Allocate(PublishedHeader, m.Weights);
                var s = bytes.AsSpan();
                TensorHeaders.WritePublished(s, m);
                WriteFloats(s[TensorHeaders.Published..], m.Weights);
                return bytes;
            }
            case WorkerRegistered m:
            {
                var bytes = Allocate(RegisteredHeader, m.Weights);
                var s = bytes.AsSpan();
                BinaryPrimitives.WriteInt32LittleEndian(s, m.WorkerId);
                BinaryPrimitives.WriteInt64LittleEndian(s[4..], m.Version);
                WriteFloats(s[12..], m.Weights);
                return bytes;
            }
            case TensorPart m:
            {
                byte[] head = m.Head is null ? [] : ToBinary(m.Head);
                var bytes = new byte[PartHeader + head.Length + 4 + (long)m.Values.Length * sizeof(float)];
                var s = bytes.AsSpan();
                BinaryPrimitives.WriteInt64LittleEndian(s, m.MessageId);
                BinaryPrimitives.WriteInt32LittleEndian(s[8..], m.Index);
                BinaryPrimitives.WriteInt32LittleEndian(s[12..], m.Count);
                BinaryPrimitives.WriteInt32LittleEndian(s[16..], m.Offset);
                BinaryPrimitives.WriteInt32LittleEndian(s[20..], m.TotalFloats);
                s[24] = m.Head switch
                {
                    null => 0,
                    PushGradient => 1,
                    WeightsPublished => 2,
                    WorkerRegistered => 3,
                    _ => throw new ArgumentException($"a tensor part's head must be a tensor message, not {m.Head.GetType().Name}", nameof(obj)),
                };
                BinaryPrimitives.WriteInt32LittleEndian(s[25..], head.Length);
                head.CopyTo(s[PartHeader..]);
                WriteFloats(s[(PartHeader + head.Length)..], m.Values.Span);
                return bytes;
            }
            default:
                throw new ArgumentException($"{nameof(TensorMessageSerializer)} cannot serialize {obj?.GetType().FullName ?? "null"}", nameof(obj));
        }
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ReadOnlySpan<byte> s = bytes;
        switch (manifest)
        {
            case PushGradientManifest:
                Require(s, PushHeader, manifest);
                return TensorHeaders.ReadPush(s, ReadFloats(s[TensorHeaders.Push..], manifest));
            case WeightsPublishedManifest:
                Require(s, PublishedHeader, manifest);
                return TensorHeaders.ReadPublished(s, ReadFloats(s[TensorHeaders.Published..], manifest));
            case WorkerRegisteredManifest:
                Require(s, RegisteredHeader, manifest);
                return new WorkerRegistered(
                    WorkerId: BinaryPrimitives.ReadInt32LittleEndian(s),
                    Version: BinaryPrimitives.ReadInt64LittleEndian(s[4..]),
                    Weights: ReadFloats(s[12..], manifest));
            case TensorPartManifest:
            {
                Require(s, PartHeader, manifest);
                int headLength = BinaryPrimitives.ReadInt32LittleEndian(s[25..]);
                if (headLength < 0 || PartHeader + 4L + headLength > s.Length) // in long: a huge length must not wrap around
                    throw new SerializationException($"{manifest}: head of {headLength} bytes does not fit in a message of {s.Length}");
                string? headManifest = s[24] switch
                {
                    0 => null,
                    1 => PushGradientManifest,
                    2 => WeightsPublishedManifest,
                    3 => WorkerRegisteredManifest,
                    _ => throw new SerializationException($"{manifest}: unknown head kind {s[24]}"),
                };
                var head = headManifest is null ? null : (ITrainerMessage)FromBinary(s.Slice(PartHeader, headLength).ToArray(), headManifest);
                return new TensorPart(
                    MessageId: BinaryPrimitives.ReadInt64LittleEndian(s),
                    Index: BinaryPrimitives.ReadInt32LittleEndian(s[8..]),
                    Count: BinaryPrimitives.ReadInt32LittleEndian(s[12..]),
                    Offset: BinaryPrimitives.ReadInt32LittleEndian(s[16..]),
                    TotalFloats: BinaryPrimitives.ReadInt32LittleEndian(s[20..]),
                    Head: head,
                    Values: ReadFloatView(bytes, PartHeader + headLength, manifest));
            }
            default:
                throw new SerializationException($"{nameof(TensorMessageSerializer)} does not know manifest '{manifest}'");
        }
    }

    private static byte[] Allocate(int header, float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        long size = header + (long)data.Length * sizeof(float);
        if (size > Array.MaxLength) throw new ArgumentException($"{data.Length} floats do not fit in one message", nameof(data));
        return new byte[size];
    }

    /// <summary>Writes i32 N then the N floats' bytes, little-endian.</summary>
    private static void WriteFloats(Span<byte> destination, ReadOnlySpan<float> data)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, data.Length);
        var payload = destination[4..];
        MemoryMarshal.AsBytes(data).CopyTo(payload);
        if (!BitConverter.IsLittleEndian) // host order is big-endian: swap each 4-byte word in place
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, int>(payload), MemoryMarshal.Cast<byte, int>(payload));
    }

    /// <summary>Reads i32 N at <paramref name="source"/>[0] and the N floats after it, which must end the message.</summary>
    private static float[] ReadFloats(ReadOnlySpan<byte> source, string manifest)
    {
        int n = BinaryPrimitives.ReadInt32LittleEndian(source);
        var payload = source[4..];
        if (n < 0 || (long)n * sizeof(float) != payload.Length)
            throw new SerializationException(
                $"{manifest}: header says {n} floats but {payload.Length} payload bytes follow");
        var data = new float[n];
        payload.CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
        if (!BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(data.AsSpan()), MemoryMarshal.Cast<float, int>(data.AsSpan()));
        return data;
    }

    /// <summary>
    /// Reads i32 N at <paramref name="bytes"/>[<paramref name="at"/>] and returns the N floats after it,
    /// which must end the message, as a view over <paramref name="bytes"/> (no copy) on little-endian
    /// hosts; big-endian hosts get a swapped copy.
    /// </summary>
    private static ReadOnlyMemory<float> ReadFloatView(byte[] bytes, int at, string manifest)
    {
        if (!BitConverter.IsLittleEndian) return ReadFloats(bytes.AsSpan(at), manifest);
        int n = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
        int payload = bytes.Length - at - 4;
        if (n < 0 || (long)n * sizeof(float) != payload)
            throw new SerializationException($"{manifest}: header says {n} floats but {payload} payload bytes follow");
        return n == 0 ? ReadOnlyMemory<float>.Empty : new FloatView(bytes, at + 4, n).Memory;
    }

    /// <summary>Little-endian float32 values stored in a byte array, seen as floats.</summary>
    private sealed class FloatView(byte[] bytes, int offset, int count) : MemoryManager<float>
    {
        public override Span<float> GetSpan() => MemoryMarshal.Cast<byte, float>(bytes.AsSpan(offset, count * sizeof(float)));

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            var handle = GCHandle.Alloc(bytes, GCHandleType.Pinned);
            return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + offset + elementIndex * sizeof(float), handle);
        }

        public override void Unpin() { }

        protected override void Dispose(bool disposing) { }
    }

    private static void Require(ReadOnlySpan<byte> s, int header, string manifest)
    {
        if (s.Length < header)
            throw new SerializationException($"{manifest}: message has {s.Length} bytes, its header alone needs {header}");
    }
}
