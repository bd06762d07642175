using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Serialization;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Serialization;

/// <summary>Tensor messages split into parts and put back together, through the serializer.</summary>
public sealed class TensorPartTests : TestKit
{
    public TensorPartTests() : base(TestHocon.Config) { }

    private static float[] Tensor(int n, int seed = 7)
    {
        var rng = new Random(seed);
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        if (n > 0) data[0] = BitConverter.Int32BitsToSingle(0x7FC0BEEF); // a NaN payload must survive too
        return data;
    }

    private static int[] Bits(ReadOnlySpan<float> data) => data.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    private TensorPart OverTheWire(TensorPart part)
    {
        var serializer = Sys.Serialization.FindSerializerFor(part);
        Assert.IsType<TensorMessageSerializer>(serializer);
        var bytes = serializer.ToBinary(part);
        Assert.Equal(TensorMessageSerializer.SerializedLength(part), bytes.Length);
        return Assert.IsType<TensorPart>(Sys.Serialization.Deserialize(bytes, serializer.Identifier, TensorMessageSerializer.TensorPartManifest));
    }

    public static TheoryData<int, int> Sizes => new()
    {
        { 0, 4 }, { 1, 4 }, { 4, 4 }, { 5, 4 }, { 1000, 7 }, { 1000, 1000 }, { 1001, 1000 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void A_push_split_into_parts_comes_back_whole_and_bit_exact(int n, int perPart)
    {
        var sent = new PushGradient(3, 41, 99, Tensor(n), 1.5f, 2.5, true, 400);
        var parts = TensorParts.Split(sent, sent.Gradient, perPart, messageId: 12).Select(OverTheWire).ToList();

        Assert.Equal(Math.Max(1, (n + perPart - 1) / perPart), parts.Count);
        Assert.All(parts, p => Assert.True(p.Values.Length <= perPart));
        var assembler = new TensorAssembler();
        var sender = ActorRefs.Nobody;
        for (int i = 0; i < parts.Count - 1; i++) Assert.Null(assembler.Add(sender, parts[i]));
        var got = Assert.IsType<PushGradient>(assembler.Add(sender, parts[^1]));

        Assert.Equal(sent with { Gradient = got.Gradient }, got);
        Assert.Equal(Bits(sent.Gradient), Bits(got.Gradient));
        Assert.Equal(0, assembler.OpenMessages);
    }

    [Fact]
    public void Weights_and_registrations_keep_their_own_fields()
    {
        var w = Tensor(10);
        var assembler = new TensorAssembler();
        foreach (ITrainerMessage m in new ITrainerMessage[] { new WeightsPublished(5, 4, w), new WorkerRegistered(2, 5, w) })
        {
            ITrainerMessage? whole = null;
            foreach (var part in TensorParts.Split(m, w, 3, 1)) whole = assembler.Add(ActorRefs.Nobody, OverTheWire(part));
            Assert.Equal(m.GetType(), whole!.GetType());
            Assert.Equal(Bits(w), Bits(TensorParts.TensorOf(whole)!));
            Assert.Equal(TensorParts.WithTensor(m, []), TensorParts.WithTensor(whole, []));
        }
    }

    [Fact]
    public void Parts_of_different_senders_may_interleave()
    {
        var a = new PushGradient(0, 1, 1, Tensor(9, 1), 0, 0, false, 0);
        var b = new PushGradient(1, 1, 1, Tensor(9, 2), 0, 0, false, 0);
        var fromA = TensorParts.Split(a, a.Gradient, 4, 1).ToList();
        var fromB = TensorParts.Split(b, b.Gradient, 4, 2).ToList();
        var senderA = CreateTestProbe().Ref;
        var senderB = CreateTestProbe().Ref;
        var assembler = new TensorAssembler();
        var done = new List<ITrainerMessage>();
        for (int i = 0; i < 3; i++)
        {
            if (assembler.Add(senderA, fromA[i]) is { } x) done.Add(x);
            if (assembler.Add(senderB, fromB[i]) is { } y) done.Add(y);
        }
        Assert.Equal(Bits(a.Gradient), Bits(((PushGradient)done[0]).Gradient));
        Assert.Equal(Bits(b.Gradient), Bits(((PushGradient)done[1]).Gradient));
    }

    [Fact]
    public void A_message_with_a_missing_part_is_dropped_never_half_delivered()
    {
        var m = new PushGradient(0, 1, 1, Tensor(12), 0, 0, false, 0);
        var parts = TensorParts.Split(m, m.Gradient, 4, 1).ToList();
        var next = TensorParts.Split(m with { ChunkId = 2 }, m.Gradient, 4, 2).ToList();
        var assembler = new TensorAssembler();
        Assert.Null(assembler.Add(ActorRefs.Nobody, parts[0]));
        Assert.Null(assembler.Add(ActorRefs.Nobody, parts[2])); // part 1 lost: the message is dropped
        Assert.Equal(0, assembler.OpenMessages);
        // The sender's next message goes through normally.
        ITrainerMessage? whole = null;
        foreach (var p in next) whole = assembler.Add(ActorRefs.Nobody, p);
        Assert.Equal(2, Assert.IsType<PushGradient>(whole).ChunkId);
    }

    [Fact]
    public void Local_receivers_get_the_message_itself_not_parts()
    {
        var probe = CreateTestProbe();
        var m = new WeightsPublished(1, 1, Tensor(100));
        TensorParts.Tell(probe.Ref, m, ActorRefs.Nobody, floatsPerPart: 10);
        // (serialize-messages is on in these tests, so it arrives as an equal copy rather than the same array)
        Assert.Equal(Bits(m.Weights), Bits(probe.ExpectMsg<WeightsPublished>().Weights));
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}
