using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Sharding;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.Sharding;

/// <summary>
/// Sharded and unsharded servers make the same updates for the same gradients in sync mode —
/// bitwise, not just to rounding: averaging (sum in worker-id order, then × 1/n) and every optimizer
/// are elementwise, so each parameter sees the same float operations in the same order whichever
/// slice holds it (TensorPrimitives does not fuse multiply-add differently in its vector body and
/// its scalar remainder, which is where a slice boundary could have moved an element).
/// </summary>
public sealed class ShardedServerEquivalenceTests
{
    private const int Workers = 3;
    private const string Shape = "V=3,H=2,O=3";

    private static float[] Random(Random rng, int n, float scale) =>
        Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();

    private static ParameterServerState Server(ShardLayout layout, int shard, float[] w0, IUpdateRule rule)
    {
        var r = layout[shard];
        var settings = new ServerSettings(ConsistencyMode.Sync, layout.Fingerprint(shard, Shape), maxUpdates: 1000, startQuorum: Workers);
        var s = new ParameterServerState(settings, w0.AsSpan(r.Offset, r.Count), rule);
        for (int id = 0; id < Workers; id++) s.Handle(new RegisterWorker(id, layout.Fingerprint(shard, Shape)));
        return s;
    }

    [Theory]
    [InlineData("adam", 37, 2)]
    [InlineData("adam", 301, 3)]
    [InlineData("momentum", 301, 4)]
    [InlineData("adagrad", 100, 7)]
    [InlineData("sgd", 64, 2)]
    public void Sync_rounds_give_bit_identical_weights_and_optimizer_state_whether_sharded_or_not(string optimizer, int p, int shards)
    {
        var rng = new Random(p * 31 + shards);
        var w0 = Random(rng, p, 1f);
        var layout = new ShardLayout(p, shards);

        var wholeRule = new OptimizerUpdateRule(Optimizers.Create(optimizer, 0.01f));
        var whole = Server(ShardLayout.Single(p), 0, w0, wholeRule);
        var shardedRule = new OptimizerUpdateRule(Optimizers.Create(optimizer, 0.01f));
        var sliceRules = layout.Ranges.Select(r => shardedRule.Slice(r.Offset, r.Count)).ToArray();
        var parts = layout.Ranges.Select(r => Server(layout, r.Index, w0, sliceRules[r.Index])).ToArray();

        for (int round = 0; round < 20; round++)
        {
            // every worker's gradient, pushed whole to one server and sliced to the shards (arrival order varies)
            foreach (int id in new[] { 2, 0, 1 })
            {
                var g = Random(rng, p, 3f);
                whole.Handle(new PushGradient(id, round, round, g, 1f, 1.0, false, 8));
                foreach (var r in layout.Ranges)
                    parts[r.Index].Handle(new PushGradient(id, round, round, g.AsSpan(r.Offset, r.Count).ToArray(), 1f, 1.0, false, 8));
            }
            Assert.Equal(round + 1, whole.Version);
            Assert.All(parts, s => Assert.Equal(round + 1, s.Version));
        }

        var joined = parts.SelectMany(s => s.Weights.ToArray()).ToArray();
        Assert.Equal(Bits(whole.Weights.ToArray()), Bits(joined));

        shardedRule.Gather(sliceRules);
        Assert.Equal(wholeRule.State!.StepCount, shardedRule.State!.StepCount);
        foreach (var (name, data) in wholeRule.State.Buffers)
            Assert.Equal(Bits(data), Bits(shardedRule.State.Buffer(name)));
    }

    [Fact]
    public void Slices_of_an_existing_optimizer_state_continue_it_exactly()
    {
        var rng = new Random(5);
        const int p = 50;
        var rule = new OptimizerUpdateRule(Optimizers.Create("adam", 0.01f));
        var w = Random(rng, p, 1f);
        for (int i = 0; i < 3; i++) rule.Apply(w, Random(rng, p, 1f)); // state exists, step 3
        var layout = new ShardLayout(p, 3);
        var slices = layout.Ranges.Select(r => rule.Slice(r.Offset, r.Count)).ToArray();

        var g = Random(rng, p, 1f);
        var wSharded = w.ToArray();
        foreach (var r in layout.Ranges) slices[r.Index].Apply(wSharded.AsSpan(r.Offset, r.Count), g.AsSpan(r.Offset, r.Count));
        rule.Apply(w, g);
        Assert.Equal(Bits(w), Bits(wSharded));
    }

    [Fact]
    public void Gather_refuses_slices_that_are_not_optimizer_rules()
    {
        var rule = new OptimizerUpdateRule(Optimizers.Create("sgd", 0.1f));
        var ex = Assert.Throws<ArgumentException>(() => rule.Gather([rule.Slice(0, 2), new NotAnOptimizer()]));
        Assert.Contains("slice 1", ex.Message);
    }

    private sealed class NotAnOptimizer : IUpdateRule
    {
        public Core.Optim.UpdateOutcome Apply(Span<float> w, ReadOnlySpan<float> g) => Core.Optim.UpdateOutcome.Applied;
    }

    private static int[] Bits(float[] x) => x.Select(BitConverter.SingleToInt32Bits).ToArray();
}
