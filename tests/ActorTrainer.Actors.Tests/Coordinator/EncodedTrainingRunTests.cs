using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Actors.Tests.Fakes;
using ActorTrainer.Core.Compression;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Coordinator;

/// <summary>An in-process run with encodings: the server counts the bytes the encoded frames would
/// take between nodes, so an in-process run measures an encoding's traffic as well as its loss.</summary>
public sealed class EncodedTrainingRunTests : TestKit
{
    private const int P = 23;
    private static readonly float[] Target = Enumerable.Range(0, P).Select(i => (float)Math.Cos(i) * 2).ToArray();

    public EncodedTrainingRunTests() : base(TestHocon.Config) { }

    [Fact]
    public async Task Servers_count_bf16_pushes_and_bf16_weights_at_two_bytes_a_value()
    {
        var computers = Enumerable.Range(0, 2).Select(id => new FakeGradientComputer(Target, noiseSeed: 40 + id)).ToArray();
        var run = new TrainingRunSettings(ConsistencyMode.Sync, 10, "fake")
        {
            Encoding = GradientEncoding.Bf16, WeightsEncoding = WireEncoding.Bf16,
        };
        var result = await TrainingRun.RunAsync(Sys, run, computers, new float[P], new OptimizerUpdateRule(new Adam(0.05f)))
            .WaitAsync(TimeSpan.FromSeconds(60));

        var load = Assert.Single(result.ServerLoads);
        static long Wire(ITrainerMessage m) => ChannelFrameCodec.Length(new MessageFrame(m));
        long push = Wire(new SlotPush(0, new PushGradient(0, 0, 0, new float[P], 0, 0, false, 0) { Hidden = new float[1], Encoding = WireEncoding.Bf16 }));
        long weights = Wire(new WeightsPublished(0, 0, new float[P]) { Encoding = WireEncoding.Bf16 });
        long registered = Wire(new WorkerRegistered(0, 0, new float[P])); // once per worker, fp32 (with bf16 values)
        Assert.Equal(20 * push, load.TensorBytesReceived);
        Assert.Equal(2 * registered + 9 * 2 * weights, load.TensorBytesSent);
        Assert.Equal(2 * P, Wire(new WeightsPublished(0, 0, new float[P])) - weights); // 2 bytes a value saved
        Assert.Equal(10, result.Stats.Updates);
    }
}
