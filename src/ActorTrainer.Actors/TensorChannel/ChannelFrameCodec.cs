using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Serialization;

namespace ActorTrainer.Actors.TensorChannel;

/// <summary>
/// Tensor channel frames on a byte stream. Every frame: u32 L (bytes after this field), u8 kind,
/// body (L − 1 bytes). All little-endian; strings are u16 byte count + UTF-8; floats are N×4 bytes
/// of IEEE-754 binary32, written straight from the tensor and read straight into the new array
/// (bit-exact: NaN payloads and signed zeros survive).
/// <code>
///   1 Hello   "ATC1" magic, string Node
///   2 Welcome (empty)
///   3 Push    string Worker, i32 WorkerId, i64 BaseVersion, i64 ChunkId, f32 Loss, f64 GradNorm,
///             u8 Clipped, i32 Tokens, i32 N, N floats
///   4 Weights i64 Version, i64 UpdateNumber, i32 N, N floats
///   5 Close   string Reason
///   6 Applied i32 WorkerId, i64 ChunkId, i64 BaseVersion, i64 Version, i64 Staleness
/// </code>
/// </summary>
public static class ChannelFrameCodec
{
    public const byte HelloKind = 1, WelcomeKind = 2, PushKind = 3, WeightsKind = 4, CloseKind = 5, AppliedKind = 6;

    /// <summary>First bytes of a Hello: a peer that is not a tensor channel is refused at once.</summary>
    public const uint Magic = 0x31435441; // "ATC1" little-endian

    /// <summary>Longest string a frame may carry (node address, worker name, reason), in UTF-8 bytes.</summary>
    public const int MaxStringBytes = 4096;

    private const int PushFixed = TensorHeaders.Push + 4;        // after the worker name, up to and with N
    private const int WeightsFixed = TensorHeaders.Published + 4; // up to and with N
    public const int AppliedLength = 4 + 8 + 8 + 8 + 8;

    /// <summary>Longest header of any frame: a scratch buffer of this size fits every <see cref="WriteHeader"/>.</summary>
    public const int MaxHeaderLength = 4 + 1 + 4 + 2 + MaxStringBytes + PushFixed;

    /// <summary>Bytes of the frame before its floats (length field included): what the writer sends in its first write.</summary>
    public static int HeaderLength(ChannelFrame frame) => 4 + 1 + frame switch
    {
        HelloFrame f => 4 + StringLength(f.Node),
        WelcomeFrame => 0,
        PushFrame f => StringLength(f.Worker) + PushFixed,
        WeightsFrame => WeightsFixed,
        CloseFrame f => StringLength(f.Reason),
        AppliedFrame => AppliedLength,
        _ => throw new ArgumentException($"unknown frame {frame.GetType().Name}", nameof(frame)),
    };

    /// <summary>The frame's tensor (empty when it has none).</summary>
    public static ReadOnlySpan<float> Floats(ChannelFrame frame) => frame switch
    {
        PushFrame f => f.Push.Gradient,
        WeightsFrame f => f.Weights.Weights,
        _ => [],
    };

    /// <summary>Writes the frame's header (everything but the floats) into <paramref name="destination"/>,
    /// which must hold <see cref="HeaderLength"/> bytes; returns that length.</summary>
    public static int WriteHeader(ChannelFrame frame, Span<byte> destination)
    {
        int header = HeaderLength(frame);
        long total = header + 4L * Floats(frame).Length;
        if (total - 4 > uint.MaxValue) throw new ArgumentException($"a frame of {total} bytes is too long", nameof(frame));
        var s = destination[..header];
        BinaryPrimitives.WriteUInt32LittleEndian(s, (uint)(total - 4));
        int at = 5;
        switch (frame)
        {
            case HelloFrame f:
                s[4] = HelloKind;
                BinaryPrimitives.WriteUInt32LittleEndian(s[at..], Magic);
                WriteString(s[(at + 4)..], f.Node);
                break;
            case WelcomeFrame:
                s[4] = WelcomeKind;
                break;
            case PushFrame f:
                s[4] = PushKind;
                at += WriteString(s[at..], f.Worker);
                TensorHeaders.WritePush(s[at..], f.Push);
                BinaryPrimitives.WriteInt32LittleEndian(s[(at + TensorHeaders.Push)..], f.Push.Gradient.Length);
                break;
            case WeightsFrame f:
                s[4] = WeightsKind;
                TensorHeaders.WritePublished(s[at..], f.Weights);
                BinaryPrimitives.WriteInt32LittleEndian(s[(at + TensorHeaders.Published)..], f.Weights.Weights.Length);
                break;
            case CloseFrame f:
                s[4] = CloseKind;
                WriteString(s[at..], f.Reason);
                break;
            case AppliedFrame f:
                s[4] = AppliedKind;
                var a = f.Applied;
                BinaryPrimitives.WriteInt32LittleEndian(s[at..], a.WorkerId);
                BinaryPrimitives.WriteInt64LittleEndian(s[(at + 4)..], a.ChunkId);
                BinaryPrimitives.WriteInt64LittleEndian(s[(at + 12)..], a.BaseVersion);
                BinaryPrimitives.WriteInt64LittleEndian(s[(at + 20)..], a.Version);
                BinaryPrimitives.WriteInt64LittleEndian(s[(at + 28)..], a.Staleness);
                break;
        }
        return header;
    }

    /// <summary>Writes a whole frame: the header, then the floats as they are in memory (no copy on
    /// little-endian hosts). <paramref name="scratch"/> must hold the header.</summary>
    public static void Write(Stream stream, ChannelFrame frame, byte[] scratch)
    {
        int header = WriteHeader(frame, scratch);
        stream.Write(scratch, 0, header);
        var floats = Floats(frame);
        if (floats.IsEmpty) return;
        if (BitConverter.IsLittleEndian) { stream.Write(MemoryMarshal.AsBytes(floats)); return; }
        var swapped = MemoryMarshal.Cast<float, int>(floats).ToArray(); // big-endian host: a swapped copy
        BinaryPrimitives.ReverseEndianness(swapped, swapped);
        stream.Write(MemoryMarshal.AsBytes(swapped.AsSpan()));
    }

    /// <summary>Strings are cut to <see cref="MaxStringBytes"/> (reasons can be long exception messages).</summary>
    private static byte[] Utf8(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        return bytes.Length <= MaxStringBytes ? bytes : bytes[..MaxStringBytes];
    }

    private static int StringLength(string s) => 2 + Math.Min(Encoding.UTF8.GetByteCount(s), MaxStringBytes);

    private static int WriteString(Span<byte> destination, string s)
    {
        var bytes = Utf8(s);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)bytes.Length);
        bytes.CopyTo(destination[2..]);
        return 2 + bytes.Length;
    }
}

/// <summary>
/// Reads frames from a stream, whatever sizes the stream's reads return. A tensor's floats are read
/// straight into its new array. Not thread-safe: one reader thread owns it.
/// </summary>
public sealed class ChannelFrameReader
{
    private readonly Stream _stream;
    private readonly int _maxFloats;
    private readonly byte[] _buffer = new byte[4 + 1 + 2 + ChannelFrameCodec.MaxStringBytes + 64];

    /// <param name="maxFloats">Largest tensor a frame may carry (the model's parameter count): a length
    /// beyond it is corrupt, and never becomes an allocation.</param>
    public ChannelFrameReader(Stream stream, int maxFloats)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxFloats);
        _stream = stream;
        _maxFloats = maxFloats;
    }

    /// <summary>The next frame; null when the stream ends cleanly between frames.</summary>
    /// <exception cref="EndOfStreamException">The stream ended inside a frame.</exception>
    /// <exception cref="ChannelProtocolException">The bytes are not a valid frame.</exception>
    public ChannelFrame? Read()
    {
        var head = _buffer.AsSpan(0, 5);
        int first = _stream.Read(head);
        if (first == 0) return null;
        _stream.ReadExactly(head[first..]);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(head);
        byte kind = head[4];
        if (length == 0) throw new ChannelProtocolException("frame length 0: a frame has at least its kind byte");
        long body = length - 1L;
        switch (kind)
        {
            case ChannelFrameCodec.HelloKind:
            {
                var s = ReadSmallBody(body, "Hello");
                if (s.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(s) != ChannelFrameCodec.Magic)
                    throw new ChannelProtocolException("Hello without the tensor channel's magic: the peer is not an actortrainer tensor channel");
                string node = ReadString(s[4..], out int used, "Hello");
                RequireConsumed(s, 4 + used, "Hello");
                return new HelloFrame(node);
            }
            case ChannelFrameCodec.WelcomeKind:
                RequireConsumed(ReadSmallBody(body, "Welcome"), 0, "Welcome");
                return new WelcomeFrame();
            case ChannelFrameCodec.CloseKind:
            {
                var s = ReadSmallBody(body, "Close");
                string reason = ReadString(s, out int used, "Close");
                RequireConsumed(s, used, "Close");
                return new CloseFrame(reason);
            }
            case ChannelFrameCodec.AppliedKind:
            {
                var s = ReadSmallBody(body, "Applied");
                if (s.Length != ChannelFrameCodec.AppliedLength) throw Corrupt("Applied", body);
                return new AppliedFrame(new GradientApplied(
                    WorkerId: BinaryPrimitives.ReadInt32LittleEndian(s),
                    ChunkId: BinaryPrimitives.ReadInt64LittleEndian(s[4..]),
                    BaseVersion: BinaryPrimitives.ReadInt64LittleEndian(s[12..]),
                    Version: BinaryPrimitives.ReadInt64LittleEndian(s[20..]),
                    Staleness: BinaryPrimitives.ReadInt64LittleEndian(s[28..])));
            }
            case ChannelFrameCodec.WeightsKind:
            {
                const int fixedPart = TensorHeaders.Published + 4;
                var s = ReadExactly(fixedPart, body, "Weights");
                var floats = ReadFloats(BinaryPrimitives.ReadInt32LittleEndian(s[TensorHeaders.Published..]), body - fixedPart, "Weights");
                return new WeightsFrame(TensorHeaders.ReadPublished(s, floats));
            }
            case ChannelFrameCodec.PushKind:
            {
                if (body < 2) throw Corrupt("Push", body);
                var n = ReadExactly(2, body, "Push");
                int nameBytes = BinaryPrimitives.ReadUInt16LittleEndian(n);
                if (nameBytes > ChannelFrameCodec.MaxStringBytes) throw new ChannelProtocolException($"Push: worker name of {nameBytes} bytes is longer than {ChannelFrameCodec.MaxStringBytes}");
                const int fixedPart = TensorHeaders.Push + 4;
                var s = ReadExactly(nameBytes + fixedPart, body - 2, "Push");
                string worker = Encoding.UTF8.GetString(s[..nameBytes]);
                var f = s[nameBytes..];
                int count = BinaryPrimitives.ReadInt32LittleEndian(f[TensorHeaders.Push..]);
                var gradient = ReadFloats(count, body - 2 - nameBytes - fixedPart, "Push");
                return new PushFrame(worker, TensorHeaders.ReadPush(f, gradient));
            }
            default:
                throw new ChannelProtocolException($"unknown frame kind {kind} (frame length {length})");
        }
    }

    /// <summary>Reads a body that has no floats; it must fit the buffer.</summary>
    private Span<byte> ReadSmallBody(long body, string what)
    {
        if (body > _buffer.Length) throw Corrupt(what, body);
        var s = _buffer.AsSpan(0, (int)body);
        _stream.ReadExactly(s);
        return s;
    }

    /// <summary>Reads the next <paramref name="count"/> bytes of a body of which <paramref name="remaining"/> are left.</summary>
    private Span<byte> ReadExactly(int count, long remaining, string what)
    {
        if (count > remaining || count > _buffer.Length) throw Corrupt(what, remaining);
        var s = _buffer.AsSpan(0, count);
        _stream.ReadExactly(s);
        return s;
    }

    /// <summary>Reads N floats, which must be exactly the <paramref name="remaining"/> bytes of the frame.</summary>
    private float[] ReadFloats(int count, long remaining, string what)
    {
        if (count < 0 || count > _maxFloats)
            throw new ChannelProtocolException($"{what}: {count} floats, but this channel carries at most {_maxFloats} (the model's parameter count)");
        if (4L * count != remaining)
            throw new ChannelProtocolException($"{what}: header says {count} floats ({4L * count} bytes) but the frame has {remaining} bytes left");
        var data = GC.AllocateUninitializedArray<float>(count); // every byte is overwritten just below: no zeroing pass
        _stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        if (!BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(data.AsSpan()), MemoryMarshal.Cast<float, int>(data.AsSpan()));
        return data;
    }

    private static string ReadString(ReadOnlySpan<byte> s, out int used, string what)
    {
        if (s.Length < 2) throw new ChannelProtocolException($"{what}: string length missing");
        int n = BinaryPrimitives.ReadUInt16LittleEndian(s);
        if (n > s.Length - 2) throw new ChannelProtocolException($"{what}: string of {n} bytes does not fit in the frame's {s.Length - 2}");
        used = 2 + n;
        return Encoding.UTF8.GetString(s.Slice(2, n));
    }

    private static void RequireConsumed(ReadOnlySpan<byte> s, int used, string what)
    {
        if (used != s.Length) throw new ChannelProtocolException($"{what}: {s.Length - used} stray bytes after the frame's content");
    }

    private ChannelProtocolException Corrupt(string what, long body) => new(
        $"{what}: a body of {body} bytes is impossible (corrupt frame length; largest tensor {_maxFloats} floats)");
}
