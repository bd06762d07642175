using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Tests.Fakes;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Actors.Sharding;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Sharding;

/// <summary>Whole in-process runs with a sharded server: workers assemble W from the shards, the run
/// ends together, and a sync run is bit-identical to the unsharded one. serialize-messages is on.</summary>
public sealed class ShardedTrainingRunTests : TestKit
{
    private const int P = 23;
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);
    private static readonly float[] Target = Enumerable.Range(0, P).Select(i => (float)Math.Cos(i) * 2).ToArray();

    public ShardedTrainingRunTests() : base(TestHocon.Config) { }

    private async Task<(TrainingResult Result, OptimizerUpdateRule Rule, List<UpdateApplied> Updates)> Run(
        ConsistencyMode mode, int shards, long updates, int workers = 3, int staleness = 0, float noise = 0.5f)
    {
        var computers = Enumerable.Range(0, workers).Select(id => new FakeGradientComputer(Target, noiseSeed: 40 + id, noiseScale: noise)).ToArray();
        var rule = new OptimizerUpdateRule(Optimizers.Create("adam", 0.05f));
        var log = new List<UpdateApplied>();
        var result = await TrainingRun.RunAsync(Sys, new TrainingRunSettings(mode, updates, "fake", staleness, validateEvery: 10, shards: shards),
            computers, new float[P], rule, new TrainingCallbacks { OnUpdate = log.Add, Validate = (w, _) => w[0] }).WaitAsync(Hang);
        return (result, rule, log);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Sync_run_with_shards_is_bit_identical_to_the_unsharded_run(int shards)
    {
        var one = await Run(ConsistencyMode.Sync, shards: 1, updates: 40);
        var many = await Run(ConsistencyMode.Sync, shards, updates: 40);

        Assert.Equal(CompletionReason.ReachedMaxUpdates, many.Result.Reason);
        Assert.Equal((40L, 40L), (many.Result.Version, many.Result.Stats.Updates));
        Assert.Equal(shards, many.Result.ShardStats.Count);
        Assert.Equal(shards, many.Result.ServerLoads.Count);
        Assert.Equal(Bits(one.Result.Weights), Bits(many.Result.Weights));
        Assert.Equal(one.Updates.Select(u => (u.UpdateNumber, u.Tokens, u.Loss)), many.Updates.Select(u => (u.UpdateNumber, u.Tokens, u.Loss)));
        Assert.Equal(one.Result.Validations, many.Result.Validations); // validated on the joined W
        foreach (var (name, data) in one.Rule.State!.Buffers)
            Assert.Equal(Bits(data), Bits(many.Rule.State!.Buffer(name))); // optimizer state gathered back
    }

    [Theory]
    [InlineData(ConsistencyMode.Async, 0)]
    [InlineData(ConsistencyMode.Ssp, 1)]
    public async Task Async_and_ssp_runs_with_shards_complete_and_converge(ConsistencyMode mode, int staleness)
    {
        var (result, _, updates) = await Run(mode, shards: 2, updates: 300, staleness: staleness, noise: 0.05f);
        // the first shard to reach 300 ends the run; the other is stopped where it is (ssp rejections differ per shard)
        Assert.Equal(300, result.ShardStats.Max(st => st.Updates));
        Assert.Equal(result.ShardStats.Min(st => st.Updates), result.Stats.Updates);
        Assert.Equal(Enumerable.Range(1, updates.Count).Select(i => (long)i), updates.Select(u => u.UpdateNumber)); // shard 0's sequence
        // Every shard trained its slice. From W = 0 a slice's mean error is its mean |target| (ratio 1, what a
        // shard left behind keeps). A shard that applied its ≥ 150 updates has moved each weight as far as it
        // needed (Adam moves a weight ~lr = 0.05 per step: 7.5 in 150 steps, against |target| ≤ 2), so it sits at
        // its target up to the swing of stale steps, which is far below the distance to 0. Half the initial error
        // lies between the two.
        foreach (var r in new ShardLayout(P, 2).Ranges)
        {
            double initial = Enumerable.Range(r.Offset, r.Count).Average(i => Math.Abs(Target[i]));
            double now = Enumerable.Range(r.Offset, r.Count).Average(i => Math.Abs(result.Weights[i] - Target[i]));
            Assert.True(now < initial / 2, $"{r}: mean |W − target| = {now}, {initial} at the start");
        }
    }

    [Fact]
    public async Task Servers_report_their_tensor_bytes_as_the_tensor_channel_would_carry_them()
    {
        var (result, _, _) = await Run(ConsistencyMode.Sync, shards: 1, updates: 10, workers: 2);
        var load = Assert.Single(result.ServerLoads);
        static long Wire(ITrainerMessage m) => ChannelFrameCodec.ToBytes(new MessageFrame(m)).Length;
        long push = Wire(new SlotPush(0, new PushGradient(0, 0, 0, new float[P], 0, 0, false, 0) { Hidden = new float[1] })); // the fake's h: 1 float
        long weights = Wire(new WeightsPublished(0, 0, new float[P]));
        long registered = Wire(new WorkerRegistered(0, 0, new float[P]));
        // 2 workers × 10 rounds of pushes in (a round is complete when the run stops at 10 updates);
        // out: 2 registrations, then each update's weights to both workers (none after the last update)
        Assert.Equal(20 * push, load.TensorBytesReceived);
        Assert.Equal(2 * registered + 9 * 2 * weights, load.TensorBytesSent);
        Assert.True(load.BusySeconds > 0);
        Assert.True(load.BusySeconds <= load.ElapsedSeconds, $"busy {load.BusySeconds} s of {load.ElapsedSeconds} s"); // counted once per message
    }

    [Fact]
    public async Task A_sharded_run_needs_a_rule_that_can_be_split()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => TrainingRun.RunAsync(Sys, new TrainingRunSettings(ConsistencyMode.Sync, 5, shards: 2),
            [new FakeGradientComputer(Target)], new float[P], new PlainRule()));
        Assert.Contains("2 shards", ex.Message);
    }

    private sealed class PlainRule : IUpdateRule
    {
        public Core.Optim.UpdateOutcome Apply(Span<float> w, ReadOnlySpan<float> g) => Core.Optim.UpdateOutcome.Applied;
    }

    private static int[] Bits(float[] x) => x.Select(BitConverter.SingleToInt32Bits).ToArray();
}
