using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Simulation;
using ActorTrainer.Actors.Tests.Fakes;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.Simulation;

/// <summary>The virtual clock of small runs whose timeline can be worked out by hand (fake computers, round costs).</summary>
public sealed class ClusterSimulationTests
{
    private const int P = 4;

    private static (SimulationResult Result, List<(double At, UpdateApplied U)> Updates) Simulate(
        ConsistencyMode mode, int workers, long updates, SimulationCosts costs, int? maxInFlight = null, int staleness = 0)
    {
        var settings = new TrainingRunSettings(mode, updates, "fake", staleness, maxInFlight: maxInFlight, shards: costs.Shards.Count);
        var computers = Enumerable.Range(0, workers).Select(_ => (IGradientComputer)new FakeGradientComputer(new float[P])).ToArray();
        var log = new List<(double, UpdateApplied)>();
        ClusterSimulation? sim = null;
        sim = new ClusterSimulation(settings, computers, Enumerable.Repeat(1f, P).ToArray(), OptimizerUpdateRule.Sgd(0.1f), costs,
            new TrainingCallbacks { OnUpdate = u => log.Add((sim!.Now, u)) });
        return (sim.Run(), log);
    }

    private static SimulationCosts Costs(double chunk, double update, NetworkCosts? network = null, Stragglers? stragglers = null, int shards = 1) =>
        new(chunk, Enumerable.Repeat(new ShardCosts(0, update, 0), shards).ToArray(), network ?? NetworkCosts.None, stragglers);

    [Fact]
    public void A_lone_async_worker_computes_its_next_chunk_during_the_round_trip_so_updates_land_once_per_chunk()
    {
        // chunk 1 s, update 0.25 s: push at 1, 2, 3…; each applied 0.25 s later. The second chunk starts at 1
        // on version 0 (two pushes in flight) and arrives after update 1: staleness 1 from then on.
        var (r, log) = Simulate(ConsistencyMode.Async, 1, 5, Costs(1, 0.25));
        Assert.Equal(new[] { 1.25, 2.25, 3.25, 4.25, 5.25 }, log.Select(l => l.At));
        Assert.Equal(new long[] { 0, 1, 1, 1, 1 }, log.Select(l => l.U.Staleness));
        Assert.Equal(5.25, r.LastUpdateSeconds);
        Assert.Equal(0, r.Workers[0].Idle(r.LastUpdateSeconds)); // never waits: a chunk is always allowed
        Assert.Equal(6, r.Workers[0].Chunks);                     // the sixth runs across the end
    }

    [Fact]
    public void With_one_push_in_flight_a_lone_worker_waits_for_the_update_and_the_network_round_trip()
    {
        // chunk 1 s, update 0.25 s, latency 0.5 s each way, no bandwidth limit: one update per 2.25 s after registration (2 × 0.5 s)
        var (r, log) = Simulate(ConsistencyMode.Async, 1, 3, Costs(1, 0.25, new NetworkCosts(0.5, double.PositiveInfinity)), maxInFlight: 1);
        Assert.Equal(new[] { 2.75, 5.0, 7.25 }, log.Select(l => l.At));
        Assert.All(log, l => Assert.Equal(0, l.U.Staleness));
        Assert.Equal(3, r.Workers[0].Chunks);
    }

    [Fact]
    public void A_sync_round_waits_for_its_straggler_and_the_others_idle_meanwhile()
    {
        // 3 workers, worker 2 four times slower: a round every 4 s + 0.5 s of update
        var (r, log) = Simulate(ConsistencyMode.Sync, 3, 4, Costs(1, 0.5, stragglers: new Stragglers(1, 4)));
        Assert.Equal(new[] { 4.5, 9.0, 13.5, 18.0 }, log.Select(l => l.At));
        Assert.All(log, l => Assert.Equal(new[] { 0, 1, 2 }, l.U.WorkerIds));
        Assert.Equal(new[] { false, false, true }, r.Workers.Select(w => w.Straggler));
        Assert.Equal(1 - 4.0 / 18, r.Workers[0].Idle(18), 9);  // 4 chunks of 1 s in 18 s
        Assert.Equal(1 - 16.0 / 18, r.Workers[2].Idle(18), 9); // 4 chunks of 4 s
        Assert.Equal(4 * 0.5 / 18, r.Training.ServerLoads[0].BusyFraction, 9);
    }
}
