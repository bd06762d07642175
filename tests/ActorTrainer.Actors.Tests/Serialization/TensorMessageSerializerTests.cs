using System.Runtime.Serialization;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Actors.Serialization;
using ActorTrainer.Actors.Worker;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Serialization;

/// <summary>Every trainer message survives the serializer its binding picks; tensors bit-exactly.</summary>
public sealed class TensorMessageSerializerTests : TestKit
{
    public TensorMessageSerializerTests() : base(TestHocon.Config) { }

    // Special values, by bit pattern: quiet NaN with payload, signalling NaN, negative NaN, ±0,
    // ±Inf, the smallest subnormal, the largest finite.
    private static readonly int[] SpecialBits =
        [0x7FC00001, 0x7F800001, unchecked((int)0xFFC12345), 0x00000000, unchecked((int)0x80000000),
         0x7F800000, unchecked((int)0xFF800000), 0x00000001, 0x7F7FFFFF, 0x3F800000];

    public static TheoryData<int> Lengths => new() { 0, 1, 10, 1000 };

    private static float[] Tensor(int n)
    {
        var data = new float[n];
        var rng = new Random(n);
        for (int i = 0; i < n; i++)
            data[i] = i < SpecialBits.Length ? BitConverter.Int32BitsToSingle(SpecialBits[i]) : (float)(rng.NextDouble() * 2 - 1);
        return data;
    }

    private static int[] Bits(float[] data) => data.Select(BitConverter.SingleToInt32Bits).ToArray();

    private object RoundTrip(object message, Type expectedSerializer)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType(expectedSerializer, serializer);
        var bytes = serializer.ToBinary(message);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        return Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
    }

    private object RoundTripTensor(object message) => RoundTrip(message, typeof(TensorMessageSerializer));

    [Theory]
    [MemberData(nameof(Lengths))]
    public void PushGradient_round_trips_bit_exactly(int n)
    {
        var sent = new PushGradient(3, 41, 1234567890123, Tensor(n), BitConverter.Int32BitsToSingle(0x7FC0BEEF), 2.5, true, 400);
        var got = Assert.IsType<PushGradient>(RoundTripTensor(sent));
        Assert.Equal((sent.WorkerId, sent.BaseVersion, sent.ChunkId, sent.GradNorm, sent.Clipped, sent.Tokens),
                     (got.WorkerId, got.BaseVersion, got.ChunkId, got.GradNorm, got.Clipped, got.Tokens));
        Assert.Equal(BitConverter.SingleToInt32Bits(sent.Loss), BitConverter.SingleToInt32Bits(got.Loss));
        Assert.Equal(Bits(sent.Gradient), Bits(got.Gradient));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void WeightsPublished_round_trips_bit_exactly(int n)
    {
        var sent = new WeightsPublished(long.MaxValue, 17, Tensor(n));
        var got = Assert.IsType<WeightsPublished>(RoundTripTensor(sent));
        Assert.Equal((sent.Version, sent.UpdateNumber), (got.Version, got.UpdateNumber));
        Assert.Equal(Bits(sent.Weights), Bits(got.Weights));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void WorkerRegistered_round_trips_bit_exactly(int n)
    {
        var sent = new WorkerRegistered(int.MaxValue, 9, Tensor(n));
        var got = Assert.IsType<WorkerRegistered>(RoundTripTensor(sent));
        Assert.Equal((sent.WorkerId, sent.Version), (got.WorkerId, got.Version));
        Assert.Equal(Bits(sent.Weights), Bits(got.Weights));
    }

    [Fact]
    public void A_tensor_message_is_its_tensor_channel_frame_on_either_transport()
    {
        var serializer = new TensorMessageSerializer((Akka.Actor.ExtendedActorSystem)Sys);
        var weights = new WeightsPublished(1, 1, [1f, -2f]);
        var push = new PushGradient(1, 2, 3, [1f, 2f, 3f], 0f, 0, false, 1) { Hidden = [0.5f] };

        Assert.Equal(ChannelFrameCodec.ToBytes(new MessageFrame(weights)), serializer.ToBinary(weights));
        Assert.Equal(ChannelFrameCodec.ToBytes(new MessageFrame(new SlotPush(0, push))), serializer.ToBinary(push));
        Assert.Equal(BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(-2f)), serializer.ToBinary(weights)[^8..]); // raw little-endian floats last
    }

    [Fact]
    public void Truncated_tensor_message_is_refused_with_a_clear_error()
    {
        var serializer = new TensorMessageSerializer((Akka.Actor.ExtendedActorSystem)Sys);
        var bytes = serializer.ToBinary(new PushGradient(1, 2, 3, [1f, 2f, 3f], 0f, 0, false, 1));
        var ex = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes[..^2], TensorMessageSerializer.PushGradientManifest));
        Assert.Contains("ends inside its frame", ex.Message);
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes[..10], TensorMessageSerializer.PushGradientManifest));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "XX9"));
    }

    public static TheoryData<ITrainerMessage> HyperionMessages => new()
    {
        new RegisterWorker(2, new ModelFingerprint(10, "V=2,H=3")),
        new RegistrationRejected(2, "model mismatch"),
        new GradientApplied(2, 5, 3, 4, 1),
        new GradientRejected(2, 5, 3, RejectionReason.TooStale, "staleness 4 exceeds 2", 7),
        new WorkerLeft(2, "terminated"),
        new StopTraining("cancelled"),
        new ComputeNextChunk(2),
        new NonFiniteGradientSkipped(2, 3, 5, float.NaN, double.PositiveInfinity),
    };

    [Theory]
    [MemberData(nameof(HyperionMessages))]
    public void Other_messages_round_trip_through_Hyperion(ITrainerMessage sent)
    {
        var got = RoundTrip(sent, typeof(AllowListHyperionSerializer));
        Assert.Equal(sent, got);
    }

    [Fact]
    public void UpdateApplied_round_trips_through_Hyperion()
    {
        var sent = new UpdateApplied(4, 5, [0, 1], [10, 11], 1.5f, 2.5, true, 1, 16);
        var got = Assert.IsType<UpdateApplied>(RoundTrip(sent, typeof(AllowListHyperionSerializer)));
        Assert.Equal((sent.UpdateNumber, sent.Version, sent.Loss, sent.GradNorm, sent.Clipped, sent.Staleness, sent.Tokens),
                     (got.UpdateNumber, got.Version, got.Loss, got.GradNorm, got.Clipped, got.Staleness, got.Tokens));
        Assert.Equal(sent.WorkerIds, got.WorkerIds);
        Assert.Equal(sent.ChunkIds, got.ChunkIds);
    }

    [Fact]
    public void TrainingCompleted_round_trips_through_Hyperion_with_its_stats()
    {
        var stats = new ServerStats(9, 8, 10, [1, 2, 0, 0, 3, 0, 0, 0], 1, 2, 5, new long[ServerStats.StalenessBuckets]);
        var sent = new TrainingCompleted(CompletionReason.ReachedMaxUpdates, "applied 8 updates", 9, Tensor(12), stats);
        var got = Assert.IsType<TrainingCompleted>(RoundTrip(sent, typeof(AllowListHyperionSerializer)));
        Assert.Equal((sent.Reason, sent.Detail, sent.Version), (got.Reason, got.Detail, got.Version));
        Assert.Equal(Bits(sent.Weights), Bits(got.Weights));
        Assert.Equal(stats.RejectionsByReason, got.Stats.RejectionsByReason);
        Assert.Equal((stats.Version, stats.Updates, stats.GradientsApplied, stats.NonFiniteReports, stats.MaxStaleness, stats.StalenessSum),
                     (got.Stats.Version, got.Stats.Updates, got.Stats.GradientsApplied, got.Stats.NonFiniteReports, got.Stats.MaxStaleness, got.Stats.StalenessSum));
    }
}
