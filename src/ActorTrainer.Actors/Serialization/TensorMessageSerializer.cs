using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.TensorChannel;
using Akka.Actor;
using Akka.Serialization;

namespace ActorTrainer.Actors.Serialization;

/// <summary>
/// Akka.Remote serializer for the three messages that carry a whole W or gradient:
/// <see cref="PushGradient"/>, <see cref="WeightsPublished"/>, <see cref="WorkerRegistered"/>. Their
/// bytes are exactly their tensor channel frames (<see cref="ChannelFrameCodec"/>; a push as the
/// <see cref="SlotPush"/> of assignment 0): one wire format per message, whichever transport carries
/// it. No run sends them over Akka.Remote any more; <c>bench transport</c> does, to compare.
///   TensorPart "TP1": i64 MessageId, i32 Index, i32 Count, i32 Offset, i32 TotalFloats,
///                     u8 head kind (0 none, 1 PG1, 2 WP1, 3 WR1), i32 head length, head bytes
///                     (the head message's frame, with an empty tensor), i32 N, N floats
/// </summary>
public sealed class TensorMessageSerializer : SerializerWithStringManifest
{
    /// <summary>Serializer id on the wire; also listed under akka.actor.serialization-identifiers.</summary>
    public const int Id = 7301;

    public const string PushGradientManifest = "PG1";
    public const string WeightsPublishedManifest = "WP1";
    public const string WorkerRegisteredManifest = "WR1";
    public const string TensorPartManifest = "TP1";

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
        PushGradient or WeightsPublished or WorkerRegistered => ChannelFrameCodec.Length(Frame((ITrainerMessage)message)),
        TensorPart m => PartHeader + (m.Head is null ? 0 : SerializedLength(m.Head)!.Value) + 4 + (long)m.Values.Length * sizeof(float),
        _ => null,
    };

    public override byte[] ToBinary(object obj)
    {
        switch (obj)
        {
            case PushGradient or WeightsPublished or WorkerRegistered:
                return ChannelFrameCodec.ToBytes(Frame((ITrainerMessage)obj));
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
            case PushGradientManifest or WeightsPublishedManifest or WorkerRegisteredManifest:
                return FromFrame(bytes, manifest);
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

    /// <summary>The channel frame that is the message's wire format.</summary>
    private static MessageFrame Frame(ITrainerMessage m) => new(m is PushGradient p ? new SlotPush(0, p) : m);

    private static ITrainerMessage FromFrame(byte[] bytes, string manifest)
    {
        ChannelFrame? frame;
        // no tensor holds more values than the message has bytes / 2 (a bf16 one: 2 bytes a value): a forged count
        // allocates at most twice the message. A sparse push of fewer values than that cannot cross here (the
        // tensor channel, which knows the model's size, carries them).
        try { frame = new ChannelFrameReader(new MemoryStream(bytes, writable: false), bytes.Length / sizeof(ushort)).Read(); }
        catch (ChannelProtocolException e) { throw new SerializationException($"{manifest}: {e.Message}", e); }
        catch (EndOfStreamException e) { throw new SerializationException($"{manifest}: the message ends inside its frame ({bytes.Length} bytes)", e); }
        ITrainerMessage? message = frame switch
        {
            MessageFrame { Message: SlotPush p } when manifest == PushGradientManifest => p.Push,
            MessageFrame { Message: WeightsPublished w } when manifest == WeightsPublishedManifest => w,
            MessageFrame { Message: WorkerRegistered r } when manifest == WorkerRegisteredManifest => r,
            _ => null,
        };
        return message ?? throw new SerializationException($"{manifest}: the bytes are a {frame?.GetType().Name ?? "empty stream"}, not this message's frame");
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
