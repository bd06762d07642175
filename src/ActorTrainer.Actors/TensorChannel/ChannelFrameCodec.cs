using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Compression;

namespace ActorTrainer.Actors.TensorChannel;

/// <summary>
/// The one wire format of every message a cluster run sends between nodes (the tensor channel uses it
/// on its socket; nothing else crosses). Every frame:
/// <code>
///   u32 L (bytes after this field), u8 kind, u16 F, F bytes of fields, then the kind's tensors, each
///   i32 N and N floats;  L = 1 + 2 + F + Σ (4 + 4·N)
/// </code>
/// All little-endian; strings are u16 byte count + UTF-8 (at most <see cref="MaxStringBytes"/>);
/// floats are IEEE-754 binary32 written straight from the tensor and read straight into the new array
/// (bit-exact: NaN payloads and signed zeros survive). A push's gradient and a broadcast's W are the
/// tensors that may be packed otherwise, by the frame's u8 Encoding (<see cref="WireEncoding"/>); each
/// packing is lossless for what the sender's encoder produced:
/// <code>
///   0 fp32    i32 N, N × f32
///   1 bf16    i32 N, N × u16 (the upper half of each binary32; the lower half must be zero)
///   2 sparse  i32 N, i32 K, K × i32 index (strictly increasing, &lt; N), K × f32 value; every other value +0
/// </code>
/// Fields of each kind (→ tensors):
/// <code>
///    1 Hello                "ATC2" magic, i64 Epoch, string Node
///    2 Welcome              —
///    3 Close                string Reason
///    4 RegisterSlotWorker   i32 Slot, i64 Assignment
///    5 SlotPush             i64 Assignment, i32 WorkerId, i64 BaseVersion, i64 ChunkId, f32 Loss, f64 GradNorm,
///                           u8 Clipped, i32 Tokens, u8 Encoding, i32 Chunks     → gradient (encoded), hidden (N = 0: none)
///    6 SlotSkipped          i64 Assignment, i32 WorkerId, i64 BaseVersion, i64 ChunkId, f32 Loss, f64 GradNorm
///    7 SlotAssigned         i32 Slot, i64 Assignment, i32 FirstStream, i32 StreamCount, i64 NextChunk → hidden
///    8 SlotRevoked          i32 Slot, i64 Assignment, string Reason
///    9 WorkerRegistered     i32 WorkerId, i64 Version                            → W
///   10 RegistrationRejected i32 WorkerId, string Reason
///   11 WeightsPublished     i64 Version, i64 UpdateNumber, u8 Encoding (fp32 | bf16) → W (encoded)
///   12 GradientApplied      i32 WorkerId, i64 ChunkId, i64 BaseVersion, i64 Version, i64 Staleness
///   13 GradientRejected     i32 WorkerId, i64 ChunkId, i64 BaseVersion, u8 Reason, i64 CurrentVersion, string Detail
///   14 RunFinished          u8 Reason, i64 Updates, string Detail
/// </code>
/// </summary>
public static class ChannelFrameCodec
{
    public const byte HelloKind = 1, WelcomeKind = 2, CloseKind = 3, RegisterKind = 4, PushKind = 5, SkippedKind = 6,
        AssignedKind = 7, RevokedKind = 8, RegisteredKind = 9, RegistrationRejectedKind = 10, WeightsKind = 11,
        AppliedKind = 12, RejectedKind = 13, FinishedKind = 14;

    /// <summary>First bytes of a Hello: a peer that is not a tensor channel (or an older one) is refused at once.</summary>
    public const uint Magic = 0x32435441; // "ATC2" little-endian

    /// <summary>Longest string a frame may carry (node address, reason), in UTF-8 bytes.</summary>
    public const int MaxStringBytes = 4096;

    /// <summary>Longest fields part of any frame: one string and at most 64 bytes of numbers.</summary>
    public const int MaxFieldsLength = 2 + MaxStringBytes + 64;

    /// <summary>Bytes before a frame's fields: L, kind, F.</summary>
    public const int PrefixLength = 4 + 1 + 2;

    /// <summary>Longest header (everything before the tensors): a scratch buffer of this size fits every <see cref="WriteHeader"/>.</summary>
    public const int MaxHeaderLength = PrefixLength + MaxFieldsLength;

    /// <summary>The frame's tensors, in wire order (none for most kinds; a missing push h is empty).</summary>
    public static float[][] Tensors(ChannelFrame frame) => frame switch
    {
        MessageFrame { Message: SlotPush m } => [m.Push.Gradient, m.Push.Hidden ?? []],
        MessageFrame { Message: SlotAssigned m } => [m.Hidden],
        MessageFrame { Message: WorkerRegistered m } => [m.Weights],
        MessageFrame { Message: WeightsPublished m } => [m.Weights],
        _ => [],
    };

    /// <summary>Bytes of the whole frame on the wire, length field included, without encoding it.</summary>
    public static long Length(ChannelFrame frame)
    {
        long length = PrefixLength + FieldsLength(frame);
        var tensors = Tensors(frame);
        var encoding = FirstTensorEncoding(frame);
        for (int i = 0; i < tensors.Length; i++)
            length += i == 0 ? EncodedLength(tensors[i], encoding) : 4 + 4L * tensors[i].Length;
        return length;
    }

    /// <summary>How the frame's first tensor is packed: a push's or a broadcast's encoding, else fp32.</summary>
    private static WireEncoding FirstTensorEncoding(ChannelFrame frame) => frame switch
    {
        MessageFrame { Message: SlotPush m } => m.Push.Encoding,
        MessageFrame { Message: WeightsPublished m } => m.Encoding,
        _ => WireEncoding.Fp32,
    };

    /// <summary>Bytes of a tensor packed as <paramref name="encoding"/>, its count(s) included.</summary>
    public static long EncodedLength(ReadOnlySpan<float> values, WireEncoding encoding) => encoding switch
    {
        WireEncoding.Fp32 => 4 + 4L * values.Length,
        WireEncoding.Bf16 => 4 + 2L * values.Length,
        WireEncoding.Sparse => 8 + 8L * SparseCount(values),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown wire encoding"),
    };

    /// <summary>Values a sparse packing carries: every one whose bits are not +0 (a −0 is sent, so it survives).</summary>
    private static int SparseCount(ReadOnlySpan<float> values)
    {
        var bits = MemoryMarshal.Cast<float, int>(values);
        return bits.Length - bits.Count(0);
    }

    /// <summary>
    /// Bytes a tensor-carrying message takes on the channel (its whole frame; a bare
    /// <see cref="PushGradient"/> counts as the <see cref="SlotPush"/> a node sends); null for messages
    /// without a tensor, so an in-process run can count what its tensors would cost between nodes.
    /// </summary>
    public static long? TensorBytes(object message) => message switch
    {
        PushGradient m => Length(new MessageFrame(new SlotPush(0, m))),
        SlotPush or WeightsPublished or WorkerRegistered or SlotAssigned => Length(new MessageFrame((ITrainerMessage)message)),
        _ => null,
    };

    /// <summary>Writes the frame's header (length, kind, fields; everything but the tensors) into
    /// <paramref name="destination"/>, which must hold <see cref="MaxHeaderLength"/> bytes; returns its length.</summary>
    public static int WriteHeader(ChannelFrame frame, Span<byte> destination)
    {
        long total = Length(frame);
        if (total - 4 > uint.MaxValue) throw new ArgumentException($"a frame of {total} bytes is too long", nameof(frame));
        var w = new FieldWriter(destination[PrefixLength..]);
        byte kind = WriteFields(frame, ref w);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)(total - 4));
        destination[4] = kind;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[5..], (ushort)w.Position);
        return PrefixLength + w.Position;
    }

    /// <summary>Writes a whole frame: the header, then each tensor's count and floats as they are in
    /// memory (no copy on little-endian hosts). <paramref name="scratch"/> must hold <see cref="MaxHeaderLength"/> bytes.</summary>
    public static void Write(Stream stream, ChannelFrame frame, byte[] scratch)
    {
        int header = WriteHeader(frame, scratch);
        stream.Write(scratch, 0, header);
        Span<byte> count = stackalloc byte[4];
        var tensors = Tensors(frame);
        for (int i = 0; i < tensors.Length; i++)
        {
            var tensor = tensors[i];
            if (i == 0 && FirstTensorEncoding(frame) is not WireEncoding.Fp32 and var encoding)
            {
                WriteEncoded(stream, tensor, encoding);
                continue;
            }
            BinaryPrimitives.WriteInt32LittleEndian(count, tensor.Length);
            stream.Write(count);
            if (tensor.Length == 0) continue;
            if (BitConverter.IsLittleEndian) { stream.Write(MemoryMarshal.AsBytes(tensor.AsSpan())); continue; }
            var swapped = MemoryMarshal.Cast<float, int>(tensor.AsSpan()).ToArray(); // big-endian host: a swapped copy
            BinaryPrimitives.ReverseEndianness(swapped, swapped);
            stream.Write(MemoryMarshal.AsBytes(swapped.AsSpan()));
        }
    }

    /// <summary>Writes a bf16 or sparse packing of <paramref name="values"/> (see the table above), in blocks.</summary>
    private static void WriteEncoded(Stream stream, float[] values, WireEncoding encoding)
    {
        const int Block = 16 * 1024;
        Span<byte> bytes = new byte[8 * Block];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, values.Length);
        if (encoding == WireEncoding.Bf16)
        {
            stream.Write(bytes[..4]);
            for (int at = 0; at < values.Length; at += Block)
            {
                int n = Math.Min(Block, values.Length - at);
                for (int i = 0; i < n; i++)
                {
                    uint b = BitConverter.SingleToUInt32Bits(values[at + i]);
                    if ((b & 0xFFFF) != 0)
                        throw new ArgumentException($"a bf16 tensor holds a value that is not bf16 at {at + i}: its sender did not round it", nameof(values));
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes[(2 * i)..], (ushort)(b >> 16));
                }
                stream.Write(bytes[..(2 * n)]);
            }
            return;
        }
        int k = SparseCount(values);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[4..], k);
        stream.Write(bytes[..8]);
        var bits = MemoryMarshal.Cast<float, int>(values.AsSpan());
        for (int pass = 0; pass < 2; pass++) // indices, then values, each in index order
        {
            int filled = 0;
            for (int i = 0; i < bits.Length; i++)
            {
                if (bits[i] == 0) continue;
                BinaryPrimitives.WriteInt32LittleEndian(bytes[(4 * filled)..], pass == 0 ? i : bits[i]);
                if (++filled == 2 * Block) { stream.Write(bytes); filled = 0; }
            }
            stream.Write(bytes[..(4 * filled)]);
        }
    }

    /// <summary>The frame as one byte array (what <see cref="Write"/> puts on a stream).</summary>
    public static byte[] ToBytes(ChannelFrame frame)
    {
        var stream = new MemoryStream(checked((int)Length(frame)));
        Write(stream, frame, new byte[MaxHeaderLength]);
        return stream.ToArray();
    }

    private static int FieldsLength(ChannelFrame frame)
    {
        Span<byte> scratch = stackalloc byte[MaxFieldsLength];
        var w = new FieldWriter(scratch);
        WriteFields(frame, ref w);
        return w.Position;
    }

    private static byte WriteFields(ChannelFrame frame, ref FieldWriter w)
    {
        switch (frame)
        {
            case HelloFrame f: w.U32(Magic); w.I64(f.Epoch); w.String(f.Node); return HelloKind;
            case WelcomeFrame: return WelcomeKind;
            case CloseFrame f: w.String(f.Reason); return CloseKind;
            case MessageFrame { Message: var message }:
                switch (message)
                {
                    case RegisterSlotWorker m: w.I32(m.Slot); w.I64(m.Assignment); return RegisterKind;
                    case SlotPush { Push: var p } m:
                        w.I64(m.Assignment); w.I32(p.WorkerId); w.I64(p.BaseVersion); w.I64(p.ChunkId);
                        w.F32(p.Loss); w.F64(p.GradNorm); w.U8(p.Clipped ? (byte)1 : (byte)0); w.I32(p.Tokens);
                        w.U8((byte)p.Encoding); w.I32(p.Chunks);
                        return PushKind;
                    case SlotSkipped { Skipped: var k } m:
                        w.I64(m.Assignment); w.I32(k.WorkerId); w.I64(k.BaseVersion); w.I64(k.ChunkId); w.F32(k.Loss); w.F64(k.GradNorm);
                        return SkippedKind;
                    case SlotAssigned m: w.I32(m.Slot); w.I64(m.Assignment); w.I32(m.FirstStream); w.I32(m.StreamCount); w.I64(m.NextChunk); return AssignedKind;
                    case SlotRevoked m: w.I32(m.Slot); w.I64(m.Assignment); w.String(m.Reason); return RevokedKind;
                    case WorkerRegistered m: w.I32(m.WorkerId); w.I64(m.Version); return RegisteredKind;
                    case RegistrationRejected m: w.I32(m.WorkerId); w.String(m.Reason); return RegistrationRejectedKind;
                    case WeightsPublished m: w.I64(m.Version); w.I64(m.UpdateNumber); w.U8((byte)m.Encoding); return WeightsKind;
                    case GradientApplied m: w.I32(m.WorkerId); w.I64(m.ChunkId); w.I64(m.BaseVersion); w.I64(m.Version); w.I64(m.Staleness); return AppliedKind;
                    case GradientRejected m:
                        w.I32(m.WorkerId); w.I64(m.ChunkId); w.I64(m.BaseVersion); w.U8((byte)m.Reason); w.I64(m.CurrentVersion); w.String(m.Detail);
                        return RejectedKind;
                    case RunFinished m: w.U8((byte)m.Reason); w.I64(m.Updates); w.String(m.Detail); return FinishedKind;
                }
                throw new ArgumentException($"the tensor channel does not carry {message.GetType().Name}", nameof(frame));
            default:
                throw new ArgumentException($"unknown frame {frame.GetType().Name}", nameof(frame));
        }
    }

    /// <summary>Builds the frame of <paramref name="kind"/> from its fields and tensors (read by <see cref="ChannelFrameReader"/>).</summary>
    internal static ChannelFrame ReadFields(byte kind, ref FieldReader r, Func<float[]> tensor, Func<WireEncoding, float[]> encoded)
    {
        switch (kind)
        {
            case HelloKind:
                if (r.Remaining < 4 || r.U32() != Magic)
                    throw new ChannelProtocolException("Hello without the tensor channel's magic: the peer is not an actortrainer tensor channel of this version");
                long epoch = r.I64();
                return new HelloFrame(r.String(), epoch);
            case WelcomeKind: return new WelcomeFrame();
            case CloseKind: return new CloseFrame(r.String());
            case RegisterKind: return Message(new RegisterSlotWorker(r.I32(), r.I64()));
            case PushKind:
            {
                long assignment = r.I64();
                int worker = r.I32(); long baseVersion = r.I64(), chunk = r.I64();
                float loss = r.F32(); double norm = r.F64(); bool clipped = r.U8() != 0; int tokens = r.I32();
                var encoding = r.Enum<WireEncoding>("gradient encoding");
                int chunks = r.I32();
                if (chunks < 1) throw new ChannelProtocolException($"a push covering {chunks} chunks: at least 1");
                var gradient = encoded(encoding);
                var hidden = tensor();
                return Message(new SlotPush(assignment, new PushGradient(worker, baseVersion, chunk, gradient, loss, norm, clipped, tokens)
                    { Hidden = hidden.Length == 0 ? null : hidden, Encoding = encoding, Chunks = chunks }));
            }
            case SkippedKind:
            {
                long assignment = r.I64();
                return Message(new SlotSkipped(assignment, new NonFiniteGradientSkipped(r.I32(), r.I64(), r.I64(), r.F32(), r.F64())));
            }
            case AssignedKind:
            {
                int slot = r.I32(); long assignment = r.I64(); int first = r.I32(), count = r.I32(); long next = r.I64();
                return Message(new SlotAssigned(slot, assignment, first, count, next, tensor()));
            }
            case RevokedKind: return Message(new SlotRevoked(r.I32(), r.I64(), r.String()));
            case RegisteredKind:
            {
                int worker = r.I32(); long version = r.I64();
                return Message(new WorkerRegistered(worker, version, tensor()));
            }
            case RegistrationRejectedKind: return Message(new RegistrationRejected(r.I32(), r.String()));
            case WeightsKind:
            {
                long version = r.I64(), update = r.I64();
                var encoding = r.Enum<WireEncoding>("weights encoding");
                if (encoding == WireEncoding.Sparse) throw new ChannelProtocolException("weights are sent as fp32 or bf16, not sparse");
                return Message(new WeightsPublished(version, update, encoded(encoding)) { Encoding = encoding });
            }
            case AppliedKind: return Message(new GradientApplied(r.I32(), r.I64(), r.I64(), r.I64(), r.I64()));
            case RejectedKind:
            {
                int worker = r.I32(); long chunk = r.I64(), baseVersion = r.I64();
                var reason = r.Enum<RejectionReason>("rejection reason");
                long current = r.I64();
                return Message(new GradientRejected(worker, chunk, baseVersion, reason, r.String(), current));
            }
            case FinishedKind:
            {
                var reason = r.Enum<CompletionReason>("completion reason");
                long updates = r.I64();
                return Message(new RunFinished(reason, r.String(), updates));
            }
            default:
                throw new ChannelProtocolException($"unknown frame kind {kind}");
        }
    }

    private static MessageFrame Message(ITrainerMessage m) => new(m);

    /// <summary>UTF-8 of <paramref name="s"/>, cut to <see cref="MaxStringBytes"/> (reasons can be long exception messages).</summary>
    internal static byte[] Utf8(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        return bytes.Length <= MaxStringBytes ? bytes : bytes[..MaxStringBytes];
    }

    /// <summary>Little-endian fields into a span.</summary>
    internal ref struct FieldWriter(Span<byte> destination)
    {
        private readonly Span<byte> _s = destination;
        public int Position { get; private set; }
        public void U8(byte v) { _s[Position] = v; Position += 1; }
        public void I32(int v) { BinaryPrimitives.WriteInt32LittleEndian(_s[Position..], v); Position += 4; }
        public void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_s[Position..], v); Position += 4; }
        public void I64(long v) { BinaryPrimitives.WriteInt64LittleEndian(_s[Position..], v); Position += 8; }
        public void F32(float v) { BinaryPrimitives.WriteSingleLittleEndian(_s[Position..], v); Position += 4; }
        public void F64(double v) { BinaryPrimitives.WriteDoubleLittleEndian(_s[Position..], v); Position += 8; }
        public void String(string v)
        {
            var bytes = Utf8(v);
            BinaryPrimitives.WriteUInt16LittleEndian(_s[Position..], (ushort)bytes.Length);
            bytes.CopyTo(_s[(Position + 2)..]);
            Position += 2 + bytes.Length;
        }
    }

    /// <summary>Little-endian fields from a span; reading past its end is a protocol error, not an exception of the runtime's.</summary>
    internal ref struct FieldReader(ReadOnlySpan<byte> source, string kind)
    {
        private readonly ReadOnlySpan<byte> _s = source;
        private int _at;
        public readonly int Remaining => _s.Length - _at;
        private ReadOnlySpan<byte> Take(int n)
        {
            if (n > Remaining) throw new ChannelProtocolException($"{kind}: fields end after {_s.Length} bytes, in the middle of a field");
            var s = _s.Slice(_at, n);
            _at += n;
            return s;
        }
        public byte U8() => Take(1)[0];
        public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
        public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
        public float F32() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));
        public double F64() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));
        public string String()
        {
            int n = BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
            if (n > MaxStringBytes) throw new ChannelProtocolException($"{kind}: a string of {n} bytes is longer than {MaxStringBytes}");
            return Encoding.UTF8.GetString(Take(n));
        }
        public T Enum<T>(string what) where T : struct, Enum
        {
            byte b = U8();
            var value = (T)System.Enum.ToObject(typeof(T), b); // whatever the enum's underlying type
            return System.Enum.IsDefined(value) ? value : throw new ChannelProtocolException($"{kind}: unknown {what} {b}");
        }
        public readonly void RequireConsumed()
        {
            if (Remaining != 0) throw new ChannelProtocolException($"{kind}: {Remaining} bytes left after the fields");
        }
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
    private readonly byte[] _buffer = new byte[ChannelFrameCodec.MaxFieldsLength];

    /// <param name="maxFloats">Largest tensor a frame may carry (the larger of the model's parameter count
    /// and a slot's B×H): a count beyond it is corrupt, and never becomes an allocation.</param>
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
        var prefix = _buffer.AsSpan(0, ChannelFrameCodec.PrefixLength);
        int first = _stream.Read(prefix);
        if (first == 0) return null;
        _stream.ReadExactly(prefix[first..]);
        var (kind, fields, remaining) = Prefix(prefix);
        var f = _buffer.AsSpan(0, fields);
        _stream.ReadExactly(f);
        var reader = new ChannelFrameCodec.FieldReader(f, $"frame kind {kind}");
        string what = $"frame kind {kind}";
        var frame = ChannelFrameCodec.ReadFields(kind, ref reader, () => ReadTensor(ref remaining, what),
            e => e == WireEncoding.Fp32 ? ReadTensor(ref remaining, what) : ReadEncoded(e, ref remaining, what));
        reader.RequireConsumed();
        if (remaining != 0) throw new ChannelProtocolException($"{what}: {remaining} bytes left after its tensors");
        return frame;
    }

    /// <summary>
    /// The first frame of a connection, read without holding a thread while the peer is silent: it must
    /// be <paramref name="expectedKind"/> and carry no tensor (a greeting is a few hundred bytes at most).
    /// </summary>
    /// <exception cref="EndOfStreamException">The stream ended before the whole frame.</exception>
    /// <exception cref="ChannelProtocolException">The bytes are not a valid frame of that kind.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    public async Task<ChannelFrame> ReadGreetingAsync(byte expectedKind, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChannelFrameCodec.MaxFieldsLength];
        await _stream.ReadExactlyAsync(buffer.AsMemory(0, ChannelFrameCodec.PrefixLength), cancellationToken).ConfigureAwait(false);
        var (kind, fields, remaining) = Prefix(buffer.AsSpan(0, ChannelFrameCodec.PrefixLength));
        if (kind != expectedKind) throw new ChannelProtocolException($"the first frame must be of kind {expectedKind}, not {kind}");
        if (remaining != 0) throw new ChannelProtocolException($"frame kind {kind}: a greeting carries no tensor ({remaining} bytes after its fields)");
        await _stream.ReadExactlyAsync(buffer.AsMemory(0, fields), cancellationToken).ConfigureAwait(false);
        var reader = new ChannelFrameCodec.FieldReader(buffer.AsSpan(0, fields), $"frame kind {kind}");
        var frame = ChannelFrameCodec.ReadFields(kind, ref reader, () => throw new ChannelProtocolException($"frame kind {kind}: a greeting carries no tensor"),
            _ => throw new ChannelProtocolException($"frame kind {kind}: a greeting carries no tensor"));
        reader.RequireConsumed();
        return frame;
    }

    /// <summary>Kind, fields length and tensor bytes of a frame from its <see cref="ChannelFrameCodec.PrefixLength"/> bytes, validated.</summary>
    private static (byte Kind, int Fields, long Remaining) Prefix(ReadOnlySpan<byte> prefix)
    {
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
        byte kind = prefix[4];
        int fields = BinaryPrimitives.ReadUInt16LittleEndian(prefix[5..]);
        if (length < 3) throw new ChannelProtocolException($"frame length {length}: a frame has at least its kind and fields length");
        if (fields > ChannelFrameCodec.MaxFieldsLength || 3L + fields > length)
            throw new ChannelProtocolException($"frame of kind {kind}: {fields} bytes of fields do not fit a frame of {length} bytes (at most {ChannelFrameCodec.MaxFieldsLength})");
        return (kind, fields, length - 3L - fields);
    }

    /// <summary>Reads a bf16 or sparse packing (see <see cref="ChannelFrameCodec"/>) into a new dense array.</summary>
    private float[] ReadEncoded(WireEncoding encoding, ref long remaining, string what)
    {
        int count = ReadCount(ref remaining, what, "a tensor's count");
        const int Block = 16 * 1024;
        if (encoding == WireEncoding.Bf16)
        {
            if (2L * count > remaining)
                throw new ChannelProtocolException($"{what}: a bf16 tensor of {count} values ({2L * count} bytes) but the frame has {remaining} bytes left");
            remaining -= 2L * count;
            var bytes = new byte[2 * Math.Min(Block, count)]; // allocated only once the frame is known to hold them
            var dense = GC.AllocateUninitializedArray<float>(count); // every value is written below
            for (int at = 0; at < count; at += Block)
            {
                int n = Math.Min(Block, count - at);
                _stream.ReadExactly(bytes, 0, 2 * n);
                for (int i = 0; i < n; i++) dense[at + i] = Bf16.FromBits(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)));
            }
            return dense;
        }
        int k = ReadCount(ref remaining, what, "a sparse tensor's K");
        if (k > count) throw new ChannelProtocolException($"{what}: a sparse tensor of {count} values cannot carry {k}");
        if (8L * k > remaining)
            throw new ChannelProtocolException($"{what}: a sparse tensor of {k} values ({8L * k} bytes) but the frame has {remaining} bytes left");
        remaining -= 8L * k;
        var indices = new int[k];
        _stream.ReadExactly(MemoryMarshal.AsBytes(indices.AsSpan()));
        var values = new float[count]; // zeroed: the values not sent are +0
        var sent = new float[k];
        _stream.ReadExactly(MemoryMarshal.AsBytes(sent.AsSpan()));
        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(indices, indices);
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(sent.AsSpan()), MemoryMarshal.Cast<float, int>(sent.AsSpan()));
        }
        for (int j = 0; j < k; j++)
        {
            int i = indices[j];
            if (i < 0 || i >= count || (j > 0 && i <= indices[j - 1]))
                throw new ChannelProtocolException($"{what}: sparse index {i} at position {j} is out of order or outside [0, {count})");
            values[i] = sent[j];
        }
        return values;
    }

    /// <summary>Reads an i32 count in [0, maxFloats].</summary>
    private int ReadCount(ref long remaining, string what, string name)
    {
        if (remaining < 4) throw new ChannelProtocolException($"{what}: the frame ends where {name} should be");
        Span<byte> c = stackalloc byte[4];
        _stream.ReadExactly(c);
        remaining -= 4;
        int count = BinaryPrimitives.ReadInt32LittleEndian(c);
        if (count < 0 || count > _maxFloats)
            throw new ChannelProtocolException($"{what}: {count} floats, but this channel carries at most {_maxFloats}");
        return count;
    }

    /// <summary>Reads i32 N and N floats, which must fit in the <paramref name="remaining"/> bytes of the frame.</summary>
    private float[] ReadTensor(ref long remaining, string what)
    {
        int count = ReadCount(ref remaining, what, "a tensor's count");
        if (4L * count > remaining)
            throw new ChannelProtocolException($"{what}: a tensor of {count} floats ({4L * count} bytes) but the frame has {remaining} bytes left");
        remaining -= 4L * count;
        if (count == 0) return [];
        var data = GC.AllocateUninitializedArray<float>(count); // every byte is overwritten just below: no zeroing pass
        _stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        if (!BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(data.AsSpan()), MemoryMarshal.Cast<float, int>(data.AsSpan()));
        return data;
    }
}
