using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Serialization;
using ActorTrainer.Actors.Simulation;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.Simulation;

/// <summary>
/// The recorded event times of a simulated run respect causality: nothing arrives before it was sent
/// plus its time on the wire, nothing is handled before it arrived, no gradient is applied before its
/// push arrived, and no chunk is computed on weights that had not arrived.
/// </summary>
public sealed class SimulationCausalityTests
{
    private const double Latency = 2e-3, Bandwidth = 5e6; // 2 ms and 5 MB/s: a gradient of this model takes ~2 ms on the wire

    private static SimulationResult Simulate(ConsistencyMode mode, int shards)
    {
        var model = RealModel.Of(workers: 4, b: 2);
        var settings = new TrainingRunSettings(mode, 40, model.Shape, staleness: 1, shards: shards);
        var costs = new SimulationCosts(0.005, Enumerable.Repeat(new ShardCosts(1e-4, 1e-3, 2e-4), shards).ToArray(),
            new NetworkCosts(Latency, Bandwidth), new Stragglers(1, 4), jitterSigma: 0.4, seed: 3);
        return new ClusterSimulation(settings, model.Computers(), model.InitialWeights(), model.Rule(), costs, recordTrace: true).Run();
    }

    [Theory]
    [InlineData(ConsistencyMode.Sync, 1)]
    [InlineData(ConsistencyMode.Async, 1)]
    [InlineData(ConsistencyMode.Ssp, 2)]
    [InlineData(ConsistencyMode.Async, 2)]
    public void No_message_is_handled_and_no_gradient_applied_before_it_arrives(ConsistencyMode mode, int shards)
    {
        var trace = Simulate(mode, shards).Trace!;
        const double eps = 1e-12; // float rounding of sums of virtual times

        foreach (var d in trace.Deliveries)
        {
            // on the wire at least its latency and its own bytes' transmission (between nodes; the observer and self-messages are free)
            bool wire = d.From != d.To && d.From.Kind != NodeKind.Observer;
            double min = wire ? Latency + (TensorMessageSerializer.SerializedLength(d.Message) ?? new NetworkCosts(0, 1).ControlBytes) / Bandwidth : 0;
            Assert.True(d.ArrivedAt >= d.SentAt + min - eps, $"{d.Message.GetType().Name} {d.From}→{d.To} arrived {d.ArrivedAt - d.SentAt:E3} s after it was sent, min {min:E3}");
            Assert.True(d.StartedAt >= d.ArrivedAt - eps, $"{d.Message.GetType().Name} at {d.To} handled before it arrived");
            Assert.True(d.DoneAt >= d.StartedAt);
        }

        var pushes = trace.Deliveries.Where(d => d.Message is PushGradient)
            .ToDictionary(d => (Shard: d.To.Index, ((PushGradient)d.Message).WorkerId, ((PushGradient)d.Message).ChunkId));
        var applied = trace.Observed.Where(o => o.Message is UpdateApplied).ToList();
        Assert.NotEmpty(applied);
        foreach (var o in applied)
        {
            var u = (UpdateApplied)o.Message;
            for (int c = 0; c < u.WorkerIds.Length; c++)
            {
                var push = pushes[(o.Shard, u.WorkerIds[c], u.ChunkIds[c])];
                Assert.True(push.ArrivedAt <= o.At + eps && push.StartedAt <= o.At + eps,
                    $"shard {o.Shard} applied worker {u.WorkerIds[c]}'s chunk {u.ChunkIds[c]} at {o.At}, its push arrived at {push.ArrivedAt}");
            }
        }

        // every push leaves when its chunk is computed; every chunk is computed on weights that had arrived
        var chunks = trace.Chunks.ToDictionary(c => (c.WorkerId, c.ChunkId));
        foreach (var p in pushes.Values)
        {
            var m = (PushGradient)p.Message;
            Assert.True(p.SentAt >= chunks[(m.WorkerId, m.ChunkId)].DoneAt - eps, $"worker {m.WorkerId} pushed chunk {m.ChunkId} before computing it");
        }
        foreach (var c in trace.Chunks)
            for (int shard = 0; shard < shards; shard++)
            {
                long version = c.BaseVersions[shard];
                var weights = trace.Deliveries.First(d => d.To == NodeId.Worker(c.WorkerId) && d.From == NodeId.Shard(shard) &&
                    d.Message switch { WorkerRegistered r => r.Version == version, WeightsPublished w => w.Version == version, _ => false });
                Assert.True(weights.ArrivedAt <= c.StartedAt + eps, $"worker {c.WorkerId} computed chunk {c.ChunkId} at {c.StartedAt} on version {version} of shard {shard}, which arrived at {weights.ArrivedAt}");
            }

        // and the observer heard of things in time order
        Assert.True(trace.Observed.Zip(trace.Observed.Skip(1)).All(p => p.First.At <= p.Second.At));
    }
}
