using System.Buffers.Binary;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Serialization;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Tests.Fuzzing;

namespace ActorTrainer.Actors.Tests.TensorChannel;

/// <summary>The tensor channel's frame reader on 100,000 random and mutated byte streams: a frame,
/// ChannelProtocolException or EndOfStreamException, and never an allocation beyond what the frame's
/// declared length allows once checked against the channel's largest tensor.</summary>
public sealed class ChannelFrameFuzzTests
{
    private const int MaxFloats = 64;

    internal static byte[] Encode(ChannelFrame frame)
    {
        using var ms = new MemoryStream();
        ChannelFrameCodec.Write(ms, frame, new byte[ChannelFrameCodec.MaxHeaderLength]);
        return ms.ToArray();
    }

    /// <summary>Where a frame holds a length or count the reader trusts: L at 0, F at 5, a leading string's
    /// length (Close: first field; Hello: after magic and epoch), and the first tensor's N after the fields.</summary>
    internal static int[] LengthFields(ChannelFrame frame)
    {
        byte[] bytes = Encode(frame);
        int fields = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(5));
        var offsets = new List<int> { 0, 5 };
        if (frame is CloseFrame) offsets.Add(ChannelFrameCodec.PrefixLength);
        if (frame is HelloFrame) offsets.Add(ChannelFrameCodec.PrefixLength + 4 + 8);
        if (ChannelFrameCodec.Tensors(frame).Length > 0) offsets.Add(ChannelFrameCodec.PrefixLength + fields);
        return [.. offsets];
    }

    [Fact]
    public void Mutated_and_random_streams_are_refused_with_the_protocol_error_and_allocate_at_most_the_validated_frame()
    {
        float[] g = Enumerable.Range(0, 16).Select(i => i * 0.25f).ToArray();
        var frames = new ChannelFrame[]
        {
            new HelloFrame("akka.tcp://actortrainer@127.0.0.1:4053"), new WelcomeFrame(),
            new MessageFrame(new SlotPush(4, new PushGradient(3, 7, 11, g, 1.5f, 2.5, true, 40) { Hidden = g[..4] })),
            new MessageFrame(new WeightsPublished(9, 8, g)), new CloseFrame("run finished"),
            new MessageFrame(new GradientApplied(1, 2, 3, 4, 1)),
        };
        var seeds = frames.Select(f => (Encode(f), LengthFields(f))).ToList();
        foreach (var (b, _) in seeds) new ChannelFrameReader(new MemoryStream(b), MaxFloats).Read(); // warm up

        int refused = 0, read = 0;
        foreach (var input in FuzzInputs.Generate(seeds, count: 100_000, seed: 20261204))
        {
            var reader = new ChannelFrameReader(new MemoryStream(input), MaxFloats);
            // What a frame may cost: its declared body, but never more than the largest valid frame.
            long declared = input.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(input) : 0;
            long validated = Math.Min(declared, 4L * MaxFloats + ChannelFrameCodec.MaxHeaderLength);
            long allocated = FuzzInputs.Allocated(() =>
            {
                try { reader.Read(); read++; }
                catch (ChannelProtocolException) { refused++; }
                catch (EndOfStreamException) { refused++; }
            });
            // Strings decode to at most 2 bytes per UTF-8 byte and floats are copied once: 2× the validated
            // frame; 16 KiB covers the fixed cost (the frame records, an exception and its message).
            Assert.True(allocated <= 2 * validated + 16384,
                $"a frame declaring {declared} bytes allocated {allocated}: {Convert.ToHexString(input.AsSpan(0, Math.Min(64, input.Length)))}");
        }
        Assert.Equal(100_000, refused + read);
        Assert.True(refused > 50_000 && read > 0, $"{refused} refused, {read} read");
    }
}
