using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Sharding;
using ActorTrainer.Actors.Tests.Fakes;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.Worker;

/// <summary>A worker of a sharded server (W of 5 split [0,3) | [3,5)): registration with every shard,
/// W assembled from the slices, slice i pushed to shard i, the consistency rules held per shard.
/// The fake computer's gradient is w − 0, so a pushed slice shows the W it was computed on.</summary>
public sealed class WorkerStateShardingTests
{
    private const int P = 5;
    private const string Shape = "shape";
    private static readonly ShardLayout Layout = new(P, 2);

    private static WorkerState Worker(ConsistencyMode mode, int staleness = 0) =>
        new(2, new FakeGradientComputer(new float[P]), new WorkerSettings(mode, Shape, staleness), Layout);

    /// <summary>Slice of shard i filled with 10·(i+1) + version.</summary>
    private static float[] Slice(int shard, long version) => Enumerable.Repeat(10f * (shard + 1) + version, Layout[shard].Count).ToArray();

    private static void RegisterAll(WorkerState s, long version = 0)
    {
        for (int i = 0; i < Layout.Count; i++) s.Handle(new WorkerRegistered(2, version, Slice(i, version)), i);
    }

    private static List<Outgoing> Tick(WorkerState s) =>
        s.Handle(new ComputeNextChunk(2)).Where(o => o.To.Audience == Audience.Server).ToList();

    [Fact]
    public void Start_registers_with_every_shard_under_its_slice_fingerprint()
    {
        var s = Worker(ConsistencyMode.Async);
        var outbox = s.Start();
        Assert.Equal([0, 1], outbox.Select(o => o.To.Shard));
        Assert.Equal(
            [Layout.Fingerprint(0, Shape), Layout.Fingerprint(1, Shape)],
            outbox.Select(o => Assert.IsType<RegisterWorker>(o.Message).Fingerprint));
    }

    [Fact]
    public void Worker_waits_for_every_shard_then_pushes_each_slice_to_its_shard_from_the_assembled_W()
    {
        var s = Worker(ConsistencyMode.Async);
        Assert.Empty(s.Handle(new WorkerRegistered(2, 3, Slice(0, 3)), shard: 0));
        Assert.False(s.MayCompute());
        Assert.Equal(WorkerPhase.Registering, s.Phase);
        s.Handle(new WorkerRegistered(2, 5, Slice(1, 5)), shard: 1);
        Assert.Equal(WorkerPhase.Running, s.Phase);

        var pushes = Tick(s);
        Assert.Equal([0, 1], pushes.Select(o => o.To.Shard));
        var p0 = Assert.IsType<PushGradient>(pushes[0].Message);
        var p1 = Assert.IsType<PushGradient>(pushes[1].Message);
        Assert.Equal((3L, 0L), (p0.BaseVersion, p0.ChunkId)); // each slice carries its shard's version
        Assert.Equal((5L, 0L), (p1.BaseVersion, p1.ChunkId)); // and the same chunk id
        Assert.Equal(Slice(0, 3), p0.Gradient);              // w − 0 over [0,3)
        Assert.Equal(Slice(1, 5), p1.Gradient);              // w − 0 over [3,5)
    }

    [Fact]
    public void Sync_worker_computes_again_only_when_every_shard_has_published_a_newer_version()
    {
        var s = Worker(ConsistencyMode.Sync);
        RegisterAll(s);
        Assert.Equal(2, Tick(s).Count);
        s.Handle(new GradientApplied(2, 0, 0, 1, 0), shard: 0);
        s.Handle(new GradientApplied(2, 0, 0, 1, 0), shard: 1);
        Assert.False(s.MayCompute());

        s.Handle(new WeightsPublished(1, 1, Slice(0, 1)), shard: 0);
        Assert.False(s.MayCompute()); // shard 1 still at the version of the last push

        s.Handle(new WeightsPublished(1, 1, Slice(1, 1)), shard: 1);
        Assert.True(s.MayCompute());
        var pushes = Tick(s).Select(o => Assert.IsType<PushGradient>(o.Message)).ToList();
        Assert.All(pushes, p => Assert.Equal(1, p.BaseVersion));
        Assert.Equal([.. Slice(0, 1), .. Slice(1, 1)], pushes.SelectMany(p => p.Gradient));
    }

    [Fact]
    public void Ssp_bound_holds_at_each_shard()
    {
        var s = Worker(ConsistencyMode.Ssp, staleness: 1);
        RegisterAll(s);
        Tick(s);
        s.Handle(new GradientApplied(2, 0, 0, 1, 0), shard: 0);
        s.Handle(new GradientApplied(2, 0, 0, 1, 0), shard: 1);
        Assert.True(s.MayCompute());
        // shard 1 has moved 2 versions past the slice we hold: 2 > s
        s.Handle(new GradientRejected(2, 1, 0, RejectionReason.TooStale, "stale", CurrentVersion: 2), shard: 1);
        Assert.False(s.MayCompute());
        s.Handle(new WeightsPublished(1, 1, Slice(1, 1)), shard: 1);
        Assert.True(s.MayCompute());
    }

    [Fact]
    public void In_flight_pushes_are_counted_per_shard()
    {
        var s = Worker(ConsistencyMode.Async);
        RegisterAll(s);
        Tick(s);
        s.Handle(new GradientApplied(2, 0, 0, 1, 0), shard: 0);
        Assert.False(s.MayCompute()); // shard 1 has not answered yet
        s.Handle(new GradientApplied(2, 0, 0, 1, 0), shard: 1);
        Assert.True(s.MayCompute());
    }

    [Fact]
    public void Training_finished_at_any_shard_stops_the_worker()
    {
        var s = Worker(ConsistencyMode.Async);
        RegisterAll(s);
        Tick(s);
        s.Handle(new GradientRejected(2, 0, 0, RejectionReason.TrainingFinished, "done", 9), shard: 1);
        Assert.Equal(WorkerPhase.Stopped, s.Phase);
    }

    [Fact]
    public void A_slice_of_the_wrong_length_or_an_unknown_shard_is_refused_loudly()
    {
        var s = Worker(ConsistencyMode.Async);
        Assert.Contains("shard 1 [3, 5)", Assert.Throws<ArgumentException>(
            () => s.Handle(new WorkerRegistered(2, 0, new float[3]), shard: 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Handle(new WorkerRegistered(2, 0, new float[2]), shard: 2));
    }
}
