using System.Buffers.Binary;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Core.Compression;

namespace ActorTrainer.Actors.Tests.TensorChannel;

/// <summary>Tensor channel frames through a byte stream: round trips, partial reads, corrupt input.</summary>
public sealed class ChannelFrameCodecTests
{
    private static float[] Tensor(int n, int seed = 3)
    {
        var rng = new Random(seed);
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        if (n > 0) data[0] = BitConverter.Int32BitsToSingle(0x7FC0BEEF); // a NaN payload must survive
        if (n > 1) data[1] = -0f;
        return data;
    }

    private static int[] Bits(float[] data) => data.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static byte[] Encode(params ChannelFrame[] frames)
    {
        var stream = new MemoryStream();
        var scratch = new byte[ChannelFrameCodec.MaxHeaderLength];
        foreach (var f in frames) ChannelFrameCodec.Write(stream, f, scratch);
        return stream.ToArray();
    }

    /// <summary>A stream that hands out at most <c>chunk</c> bytes per read, like a socket under load.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
    }

    private static List<ChannelFrame> DecodeAll(Stream stream, int maxFloats)
    {
        var reader = new ChannelFrameReader(stream, maxFloats);
        var frames = new List<ChannelFrame>();
        while (reader.Read() is { } f) frames.Add(f);
        return frames;
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1000, 1)]
    [InlineData(1000, 3)]
    [InlineData(100_000, 7)]
    [InlineData(100_000, 1 << 20)]
    public void Every_frame_kind_round_trips_bit_exact_whatever_the_read_sizes(int n, int chunk)
    {
        var push = new PushGradient(3, 41, 77, Tensor(n), 2.5f, 1.25, true, 800) { Hidden = Tensor(n, seed: 5) };
        var weights = new WeightsPublished(42, 40, Tensor(n, seed: 9));
        var registered = new WorkerRegistered(3, 42, Tensor(n, seed: 11));
        var assigned = new SlotAssigned(3, 12, 24, 8, 9001, Tensor(n, seed: 13));
        ITrainerMessage[] small =
        [
            new RegisterSlotWorker(3, 12),
            new SlotSkipped(12, new NonFiniteGradientSkipped(3, 41, 78, float.NaN, double.PositiveInfinity)),
            new SlotRevoked(3, 12, "node x was dropped"),
            new RegistrationRejected(3, "no"),
            new GradientApplied(3, 77, 41, 43, 2),
            new GradientRejected(3, 77, 41, RejectionReason.UnexpectedChunk, "chunk 77 is not the next", 43),
            new RunFinished(CompletionReason.Diverged, "too many non-finite", 1234),
        ];
        ChannelFrame[] sent =
        [
            new HelloFrame("akka.tcp://actortrainer@10.0.0.7:4100", Epoch: 7), new WelcomeFrame(),
            new MessageFrame(new SlotPush(12, push)), new MessageFrame(weights), new MessageFrame(registered), new MessageFrame(assigned),
            .. small.Select(m => new MessageFrame(m)),
            new CloseFrame("the run finished ✓"),
        ];
        var bytes = Encode(sent);
        Assert.Equal(sent.Sum(ChannelFrameCodec.Length), bytes.Length);

        var frames = DecodeAll(new TrickleStream(bytes, chunk), maxFloats: n);

        Assert.Equal(sent.Length, frames.Count);
        Assert.Equal(sent[0], frames[0]);
        Assert.IsType<WelcomeFrame>(frames[1]);
        var p = Assert.IsType<SlotPush>(Message(frames[2]));
        Assert.Equal(12, p.Assignment);
        Assert.Equal(push with { Gradient = p.Push.Gradient, Hidden = p.Push.Hidden }, p.Push);
        Assert.Equal(Bits(push.Gradient), Bits(p.Push.Gradient));
        Assert.Equal(n == 0 ? null : Bits(push.Hidden!), p.Push.Hidden is null ? null : Bits(p.Push.Hidden));
        var w = Assert.IsType<WeightsPublished>(Message(frames[3]));
        Assert.Equal((42L, 40L), (w.Version, w.UpdateNumber));
        Assert.Equal(Bits(weights.Weights), Bits(w.Weights));
        var r = Assert.IsType<WorkerRegistered>(Message(frames[4]));
        Assert.Equal((3, 42L), (r.WorkerId, r.Version));
        Assert.Equal(Bits(registered.Weights), Bits(r.Weights));
        var a = Assert.IsType<SlotAssigned>(Message(frames[5]));
        Assert.Equal(assigned with { Hidden = a.Hidden }, a);
        Assert.Equal(Bits(assigned.Hidden), Bits(a.Hidden));
        var skipped = Assert.IsType<SlotSkipped>(Message(frames[7]));
        Assert.Equal((12L, 3, 78L), (skipped.Assignment, skipped.Skipped.WorkerId, skipped.Skipped.ChunkId));
        Assert.True(float.IsNaN(skipped.Skipped.Loss) && double.IsPositiveInfinity(skipped.Skipped.GradNorm));
        for (int i = 2; i < small.Length; i++) Assert.Equal(small[i], Message(frames[6 + i]));
        Assert.Equal(small[0], Message(frames[6]));
        Assert.Equal("the run finished ✓", Assert.IsType<CloseFrame>(frames[^1]).Reason);
    }

    private static ITrainerMessage Message(ChannelFrame f) => Assert.IsType<MessageFrame>(f).Message;

    [Fact]
    public void The_header_length_is_what_is_written_before_the_tensors()
    {
        var frame = new MessageFrame(new SlotPush(1, new PushGradient(0, 0, 0, Tensor(10), 0, 0, false, 0) { Hidden = Tensor(3) }));
        int header = ChannelFrameCodec.WriteHeader(frame, new byte[ChannelFrameCodec.MaxHeaderLength]);
        Assert.Equal(header + 4 + 40 + 4 + 12, Encode(frame).Length);
        Assert.Equal(Encode(frame).Length, ChannelFrameCodec.Length(frame));
    }

    [Theory]
    [InlineData(33_217, 16 * 128)] // the defaults: H=128, B=16, V=O=65 (docs/cluster.md)
    [InlineData(18_383, 8 * 96)]   // the process tests' small model
    public void Carrying_h_costs_four_bytes_per_hidden_value(int p, int hidden)
    {
        var bare = new PushGradient(0, 0, 0, new float[p], 0, 0, false, 0);
        long without = ChannelFrameCodec.Length(new MessageFrame(new SlotPush(1, bare)));
        long with = ChannelFrameCodec.Length(new MessageFrame(new SlotPush(1, bare with { Hidden = new float[hidden] })));

        Assert.Equal(65 + 4L * p, without); // 7 bytes of prefix, 50 of fields, two counts, the gradient
        Assert.Equal(4L * hidden, with - without);
    }

    [Fact]
    public void A_stream_that_ends_between_frames_reads_as_the_end()
    {
        var reader = new ChannelFrameReader(new MemoryStream(Encode(new WelcomeFrame())), 0);
        Assert.IsType<WelcomeFrame>(reader.Read());
        Assert.Null(reader.Read());
    }

    [Fact]
    public void A_stream_that_ends_inside_a_frame_is_an_error()
    {
        var bytes = Encode(new MessageFrame(new WeightsPublished(1, 1, Tensor(100))));
        var reader = new ChannelFrameReader(new MemoryStream(bytes[..^5]), 100);
        Assert.Throws<EndOfStreamException>(() => reader.Read());
    }

    [Fact]
    public void A_tensor_longer_than_the_model_is_refused_before_anything_is_allocated()
    {
        var bytes = Encode(new MessageFrame(new WeightsPublished(1, 1, Tensor(100))));
        var e = Assert.Throws<ChannelProtocolException>(() => new ChannelFrameReader(new MemoryStream(bytes), 99).Read());
        Assert.Contains("at most 99", e.Message);
    }

    [Fact]
    public void A_frame_length_that_disagrees_with_the_float_count_is_a_clear_error()
    {
        var bytes = Encode(new MessageFrame(new WeightsPublished(1, 1, Tensor(100))));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0x7FFF_FFF0); // corrupt length
        var e = Assert.Throws<ChannelProtocolException>(() => new ChannelFrameReader(new MemoryStream(bytes), 100).Read());
        Assert.Contains("bytes left after its tensors", e.Message);
    }

    [Fact]
    public void A_huge_length_on_a_small_frame_is_refused_without_reading_it()
    {
        var bytes = Encode(new CloseFrame("bye"));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, uint.MaxValue);
        var e = Assert.Throws<ChannelProtocolException>(() => new ChannelFrameReader(new MemoryStream(bytes), 10).Read());
        Assert.Contains("bytes left after its tensors", e.Message);
    }

    [Fact]
    public void A_zero_length_and_an_unknown_kind_are_refused()
    {
        Assert.Contains("length 0", Assert.Throws<ChannelProtocolException>(() =>
            new ChannelFrameReader(new MemoryStream(new byte[] { 0, 0, 0, 0, 2, 0, 0 }), 10).Read()).Message);
        Assert.Contains("unknown frame kind 99", Assert.Throws<ChannelProtocolException>(() =>
            new ChannelFrameReader(new MemoryStream(new byte[] { 3, 0, 0, 0, 99, 0, 0 }), 10).Read()).Message);
    }

    [Fact]
    public void A_peer_that_does_not_speak_the_protocol_is_refused_at_its_first_frame()
    {
        var http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray();
        Assert.Throws<ChannelProtocolException>(() => new ChannelFrameReader(new MemoryStream(http), 10).Read());
        var hello = Encode(new HelloFrame("node"));
        hello[ChannelFrameCodec.PrefixLength] ^= 0xFF; // wrong magic
        Assert.Contains("magic", Assert.Throws<ChannelProtocolException>(() => new ChannelFrameReader(new MemoryStream(hello), 10).Read()).Message);
    }

    [Fact]
    public void Overlong_strings_are_cut_not_refused()
    {
        var reason = new string('x', ChannelFrameCodec.MaxStringBytes + 100);
        var frame = Assert.IsType<CloseFrame>(new ChannelFrameReader(new MemoryStream(Encode(new CloseFrame(reason))), 0).Read());
        Assert.Equal(ChannelFrameCodec.MaxStringBytes, frame.Reason.Length);
    }

    private static PushGradient EncodedPush(int n, GradientEncoding encoding, int seed = 3)
    {
        var g = Tensor(n, seed);
        g[0] = 0.5f; // finite: an encoder sees only pushed (finite) gradients
        encoding.CreateEncoder(n).Encode(g, update: 0);
        return new PushGradient(3, 41, 77, g, 2.5f, 1.25, true, 800) { Hidden = Tensor(8, seed: 5), Encoding = encoding.Wire, Chunks = 4 };
    }

    [Theory]
    [InlineData("bf16", 1000, 1)]
    [InlineData("bf16", 100_000, 7)]
    [InlineData("topk:0.01", 100_000, 7)]
    [InlineData("topk:1", 1000, 3)]
    [InlineData("fp32", 1000, 5)]
    public void An_encoded_push_round_trips_to_exactly_the_values_the_worker_encoded(string encoding, int n, int chunk)
    {
        var push = EncodedPush(n, GradientEncoding.TryParse(encoding)!);
        var frame = new MessageFrame(new SlotPush(12, push));
        var bytes = Encode(frame);
        Assert.Equal(ChannelFrameCodec.Length(frame), bytes.Length);

        var got = Assert.IsType<SlotPush>(Message(Assert.Single(DecodeAll(new TrickleStream(bytes, chunk), maxFloats: n)))).Push;
        Assert.Equal(Bits(push.Gradient), Bits(got.Gradient));   // in process and in a cluster the server applies the same bits
        Assert.Equal(Bits(push.Hidden!), Bits(got.Hidden!));
        Assert.Equal((push.Encoding, push.Chunks, push.ChunkId, push.FirstChunkId), (got.Encoding, got.Chunks, got.ChunkId, got.FirstChunkId));
    }

    [Theory]
    [InlineData("fp32", 4.0)]
    [InlineData("bf16", 2.0)]
    [InlineData("topk:0.01", 0.08)] // 1% of the values, each an index and a value
    public void At_a_million_parameters_a_push_is_its_payload_within_two_percent(string encoding, double bytesPerParameter)
    {
        // payload = the encoded gradient's values (and indices); framing = prefix, fields and counts
        const int P = 1_000_000;
        var push = EncodedPush(P, GradientEncoding.TryParse(encoding)!) with { Hidden = null };
        long frame = ChannelFrameCodec.Length(new MessageFrame(new SlotPush(1, push)));
        double payload = bytesPerParameter * P;
        Assert.True(frame >= payload && frame <= 1.02 * payload, $"{encoding}: {frame} B on the wire for {payload} B of payload");
    }

    [Fact]
    public void Bf16_weights_round_trip_at_two_bytes_a_value()
    {
        var w = Tensor(1001, seed: 4);
        w[0] = 1f;
        Bf16.RoundInPlace(w);
        var frame = new MessageFrame(new WeightsPublished(5, 4, w) { Encoding = WireEncoding.Bf16 });
        var fp32 = new MessageFrame(new WeightsPublished(5, 4, w));
        Assert.Equal(ChannelFrameCodec.Length(fp32) - 2 * 1001, ChannelFrameCodec.Length(frame));
        var got = Assert.IsType<WeightsPublished>(Message(Assert.Single(DecodeAll(new TrickleStream(Encode(frame), 3), maxFloats: 1001))));
        Assert.Equal(Bits(w), Bits(got.Weights));
        Assert.Equal((5L, 4L, WireEncoding.Bf16), (got.Version, got.UpdateNumber, got.Encoding));
    }

    [Fact]
    public void A_bf16_push_whose_values_are_not_bf16_is_refused_by_the_writer_not_truncated()
    {
        var push = new PushGradient(0, 0, 0, [1f, 1.0001f], 0, 0, false, 0) { Encoding = WireEncoding.Bf16 };
        Assert.Throws<ArgumentException>(() => Encode(new MessageFrame(new SlotPush(1, push))));
    }

    [Theory]
    [InlineData(new[] { 3, 3 })] // repeated
    [InlineData(new[] { 5, 2 })] // out of order
    [InlineData(new[] { 1, 10 })] // outside [0, N)
    public void A_sparse_gradient_with_bad_indices_is_a_protocol_error(int[] indices)
    {
        var push = new PushGradient(0, 0, 0, new float[10], 0, 0, false, 0) { Encoding = WireEncoding.Sparse };
        push.Gradient[1] = 1; push.Gradient[2] = 2;
        var bytes = Encode(new MessageFrame(new SlotPush(1, push)));
        // the two indices sit right after N and K, which follow the header
        int at = ChannelFrameCodec.WriteHeader(new MessageFrame(new SlotPush(1, push)), new byte[ChannelFrameCodec.MaxHeaderLength]) + 8;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), indices[0]);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 4), indices[1]);
        var e = Assert.Throws<ChannelProtocolException>(() => new ChannelFrameReader(new MemoryStream(bytes), 10).Read());
        Assert.Contains("sparse index", e.Message);
    }
}
