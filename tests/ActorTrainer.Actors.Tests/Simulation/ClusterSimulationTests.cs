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
        ConsistencyMode mode, int workers, long updates, SimulationCosts costs, int? maxInFlight = null, int staleness = 0, bool recordTrace = false)
    {
        var settings = new TrainingRunSettings(mode, updates, "fake", staleness, maxInFlight: maxInFlight, shards: costs.Shards.Count);
        var computers = Enumerable.Range(0, workers).Select(_ => (IGradientComputer)new FakeGradientComputer(new float[P])).ToArray();
        var log = new List<(double, UpdateApplied)>();
        ClusterSimulation? sim = null;
        sim = new ClusterSimulation(settings, computers, Enumerable.Repeat(1f, P).ToArray(), OptimizerUpdateRule.Sgd(0.1f), costs,
            new TrainingCallbacks { OnUpdate = u => log.Add((sim!.Now, u)) }, recordTrace);
        return (sim.Run(), log);
    }

    private static SimulationCosts Costs(double chunk, double update, NetworkCosts? network = null, Stragglers? stragglers = null, int shards = 1, int? cores = null) =>
        new(chunk, Enumerable.Repeat(new ShardCosts(0, update, 0), shards).ToArray(), network ?? NetworkCosts.None, stragglers, cores: new CorePlacement(cores));

    /// <summary>When each of <paramref name="worker"/>'s chunks started and was done, in order.</summary>
    private static (double Start, double Done)[] Chunks(SimulationResult r, int worker) =>
        r.Trace!.Chunks.Where(c => c.WorkerId == worker).OrderBy(c => c.ChunkId).Select(c => (c.StartedAt, c.DoneAt)).ToArray();

    private static double[] ChunkEnds(SimulationResult r, int worker) => Chunks(r, worker).Select(c => c.Done).ToArray();

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

    [Fact]
    public void Two_workers_on_one_core_take_twice_as_long_per_chunk()
    {
        // sync, chunk 1 s, the server free: on 2 cores a round per second; on 1 core both chunks run at
        // half speed, so each takes 2 s of wall time and a round closes every 2 s, with no idle time
        var (apart, apartLog) = Simulate(ConsistencyMode.Sync, 2, 3, Costs(1, 0, cores: 2));
        var (shared, sharedLog) = Simulate(ConsistencyMode.Sync, 2, 3, Costs(1, 0, cores: 1));
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, apartLog.Select(l => l.At));
        Assert.Equal(new[] { 2.0, 4.0, 6.0 }, sharedLog.Select(l => l.At));
        Assert.All(shared.Workers, w => Assert.Equal(6, w.ComputeSeconds)); // 3 chunks of 2 s (+ the 4th from 6 counts 0)
        Assert.All(shared.Workers, w => Assert.Equal(0, w.Idle(6)));
        Assert.All(apart.Workers, w => Assert.Equal(0, w.Idle(3)));
    }

    [Fact]
    public void A_push_that_wakes_the_server_on_the_workers_core_preempts_it_so_its_next_chunk_starts_on_the_new_weights()
    {
        // chunk 1 s, update 0.25 s, one core, no network. At 1 the push wakes the shard on the worker's core:
        // the worker's tick waits for the apply, which publishes W first, so chunk 2 runs 1.25–2.25 on
        // version 1 (staleness 0) and an update lands every 1.25 s. (Apart — the first test — every 1 s
        // from 1.25, the next chunk starting at once on the old W: staleness 1.)
        var (r, log) = Simulate(ConsistencyMode.Async, 1, 4, Costs(1, 0.25, cores: 1), recordTrace: true);
        Assert.Equal(new[] { 1.25, 2.5, 3.75, 5.0 }, log.Select(l => l.At));
        Assert.All(log, l => Assert.Equal(0, l.U.Staleness));
        Assert.Equal(new[] { 1.0, 2.25, 3.5, 4.75 }, ChunkEnds(r, 0).Take(4));
        Assert.Equal(0.2, r.Workers[0].Idle(5.0), 12); // 4 s of chunks in 5 s: preempted while the shard applies
    }

    [Fact]
    public void The_servers_apply_on_the_workers_core_delays_the_chunk_it_interrupts_by_the_apply_cost()
    {
        // chunk 1 s, update 0.25 s, latency 0.5 s each way, two pushes in flight at most. Registered at 1;
        // chunk 1 runs 1–2 alone. Each later chunk has the previous push arrive 0.5 s into it and the shard's
        // 0.25 s apply preempts it: chunk 2 runs 2–3.25; its push leaves at 3.25, when chunk 1's answer is in,
        // so chunk 3 runs 3.25–4.5. Updates land 0.75 s after each push is sent: 2.75, 4.0, 5.25.
        // Apart (a core each): chunks 1–2, 2–3, 3.25–4.25 (chunk 3 waits for chunk 1's answer), updates 2.75, 3.75, 5.0.
        var net = new NetworkCosts(0.5, double.PositiveInfinity);
        var (shared, sharedLog) = Simulate(ConsistencyMode.Async, 1, 3, Costs(1, 0.25, net, cores: 1), recordTrace: true);
        var (apart, apartLog) = Simulate(ConsistencyMode.Async, 1, 3, Costs(1, 0.25, net), recordTrace: true);
        Assert.Equal(new[] { (1.0, 2.0), (2.0, 3.25), (3.25, 4.5) }, Chunks(shared, 0).Take(3));
        Assert.Equal(new[] { (1.0, 2.0), (2.0, 3.0), (3.25, 4.25) }, Chunks(apart, 0).Take(3));
        Assert.Equal(new[] { 2.75, 4.0, 5.25 }, sharedLog.Select(l => l.At));
        Assert.Equal(new[] { 2.75, 3.75, 5.0 }, apartLog.Select(l => l.At));
    }

    [Fact]
    public void With_two_cores_and_the_shard_on_worker_0s_core_only_worker_0_is_preempted()
    {
        // The in-process placement on 2 cores: worker 0 and the shard on core 0, worker 1 on core 1; chunk 1 s,
        // update 0.25 s, no network. Worker 1 is never preempted: its chunks end at 1, 2, 3. Worker 0's push at 1
        // preempts it; the shard applies it (1–1.25) and then worker 1's (1.25–1.5) before worker 0 goes on, so
        // its second chunk starts at 1.5; worker 1's push at 2 preempts it again for 0.25 s: it ends at 2.75.
        var (r, _) = Simulate(ConsistencyMode.Async, 2, 4, Costs(1, 0.25, cores: 2), recordTrace: true);
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, ChunkEnds(r, 1).Take(3));
        Assert.Equal(new[] { 1.0, 2.75 }, ChunkEnds(r, 0).Take(2));
        Assert.Equal(1.5, r.Trace!.Chunks.Single(c => c.WorkerId == 0 && c.DoneAt == 2.75).StartedAt);
    }
}
