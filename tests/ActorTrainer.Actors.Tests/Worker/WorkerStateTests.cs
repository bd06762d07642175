using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Tests.Fakes;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.Worker;

/// <summary>The worker's chunk loop and consistency rules, on the plain state class (no ActorSystem).
/// Weights are filled with their version, so the fake computer's record of w[0] is the version it
/// computed on.</summary>
public sealed class WorkerStateTests
{
    private const int P = 3;
    private const string Shape = "shape";

    private static float[] WeightsAt(long version) => Enumerable.Repeat((float)version, P).ToArray();

    private static (WorkerState State, FakeGradientComputer Computer) Worker(ConsistencyMode mode, int staleness = 0, int maxInFlight = 1)
    {
        var computer = new FakeGradientComputer(new float[P]);
        return (new WorkerState(4, computer, new WorkerSettings(mode, Shape, staleness, maxInFlight)), computer);
    }

    private static IReadOnlyList<Outgoing> Registered(WorkerState s, long version = 0) =>
        s.Handle(new WorkerRegistered(s.WorkerId, version, WeightsAt(version)));

    /// <summary>Handles self-ticks until the worker stops asking for one; returns what went to the server.</summary>
    private static List<ITrainerMessage> Drain(WorkerState s, IReadOnlyList<Outgoing> outbox, int maxTicks = 10)
    {
        var toServer = outbox.Where(o => o.To.Audience == Audience.Server).Select(o => o.Message).ToList();
        for (int i = 0; i < maxTicks && outbox.Any(o => o.To.Audience == Audience.Self); i++)
        {
            outbox = s.Handle(new ComputeNextChunk(s.WorkerId));
            toServer.AddRange(outbox.Where(o => o.To.Audience == Audience.Server).Select(o => o.Message));
        }
        return toServer;
    }

    [Fact]
    public void Start_asks_the_server_to_register_with_the_computer_fingerprint()
    {
        var (s, _) = Worker(ConsistencyMode.Async);
        var out0 = Assert.Single(s.Start());
        Assert.Equal(Recipient.Server(0), out0.To);
        Assert.Equal(new RegisterWorker(4, new ModelFingerprint(P, Shape)), out0.Message);
        Assert.Equal(WorkerPhase.Registering, s.Phase);
        Assert.False(s.MayCompute());
    }

    [Fact]
    public void Registration_starts_the_chunk_loop_with_a_self_tick()
    {
        var (s, c) = Worker(ConsistencyMode.Async);
        var outbox = Registered(s, version: 3);
        Assert.Equal([new Outgoing(Recipient.Self, new ComputeNextChunk(4))], outbox);
        Assert.Equal(WorkerPhase.Running, s.Phase);
        Assert.Empty(c.FirstWeightSeen); // computing waits for the tick
    }

    [Fact]
    public void Chunk_loop_carries_the_computer_state_and_pushes_every_chunk_with_its_base_version()
    {
        var (s, c) = Worker(ConsistencyMode.Async, maxInFlight: 3);
        var pushes = Drain(s, Registered(s, version: 2), maxTicks: 3).Cast<PushGradient>().ToList();

        Assert.Equal([0L, 1L, 2L], pushes.Select(p => p.ChunkId));
        Assert.All(pushes, p => Assert.Equal((4, 2L, P, 8), (p.WorkerId, p.BaseVersion, p.Gradient.Length, p.Tokens)));
        Assert.Equal(WeightsAt(2), pushes[0].Gradient); // fake: w − 0
        Assert.Equal(6f, c.Hidden);                     // 2 + 2 + 2 carried across the three chunks
        Assert.NotSame(pushes[0].Gradient, pushes[1].Gradient); // unanswered pushes never share an array
    }

    [Fact]
    public void A_pushed_gradient_array_is_reused_only_after_the_server_answered_that_push()
    {
        var (s, _) = Worker(ConsistencyMode.Async, maxInFlight: 2);
        var pushes = Drain(s, Registered(s), maxTicks: 2).Cast<PushGradient>().ToList();
        Assert.Equal(2, pushes.Count);

        // chunk 1 rejected, chunk 0 still with the server: the next push reuses chunk 1's array
        var next = Drain(s, s.Handle(new GradientRejected(4, 1, 0, RejectionReason.TooStale, "stale", CurrentVersion: 0)), maxTicks: 1);
        var third = Assert.IsType<PushGradient>(Assert.Single(next));
        Assert.Same(pushes[1].Gradient, third.Gradient);
        Assert.NotSame(pushes[0].Gradient, third.Gradient);

        // chunk 0 applied: its array is next
        var fourth = Assert.IsType<PushGradient>(Assert.Single(Drain(s, s.Handle(new GradientApplied(4, 0, 0, 1, 0)), maxTicks: 1)));
        Assert.Same(pushes[0].Gradient, fourth.Gradient);
        Assert.Equal(2, s.GradientBuffersAllocated);
    }

    [Fact]
    public void A_worker_releases_pooled_weights_when_it_takes_newer_ones_ignores_older_ones_or_stops()
    {
        var (s, c) = Worker(ConsistencyMode.Async);
        var pool = new SnapshotPool(P);
        WeightsPublished Published(long version)
        {
            var lease = pool.Rent();
            WeightsAt(version).CopyTo(lease.Weights, 0);
            return new WeightsPublished(version, version, lease.Weights) { Lease = lease };
        }
        Drain(s, Registered(s));

        var v2 = Published(2);
        s.Handle(v2);                              // taken; computed on once chunk 0 is answered
        Drain(s, s.Handle(new GradientApplied(4, 0, 0, 1, 0)));
        Assert.Equal(2f, c.FirstWeightSeen[^1]);  // computing on the pooled array: still held
        Assert.NotSame(v2.Weights, pool.Rent().Weights);

        var v1 = Published(1);
        s.Handle(v1);                              // older: released at once, never read
        Assert.Same(v1.Weights, pool.Rent().Weights);

        var v3 = Published(3);
        s.Handle(v3);                              // newer: v2 is let go
        Assert.Same(v2.Weights, pool.Rent().Weights);

        s.Handle(new GradientRejected(4, 99, 0, RejectionReason.TrainingFinished, "done", 3));
        Assert.Equal(WorkerPhase.Stopped, s.Phase);
        Assert.Same(v3.Weights, pool.Rent().Weights); // stopped: v3 is let go
    }

    [Fact]
    public void Sync_worker_waits_for_fresh_weights_before_computing_again()
    {
        var (s, c) = Worker(ConsistencyMode.Sync);
        var first = Drain(s, Registered(s));
        Assert.Single(first);
        Assert.False(s.MayCompute());

        // an ack alone (or the same version again) does not release it
        Assert.Empty(s.Handle(new GradientApplied(4, 0, 0, 1, 0)));
        Assert.Empty(s.Handle(new WeightsPublished(0, 0, WeightsAt(0))));

        var second = Drain(s, s.Handle(new WeightsPublished(1, 1, WeightsAt(1))));
        Assert.Equal(1, Assert.IsType<PushGradient>(Assert.Single(second)).BaseVersion);
        Assert.Equal([0f, 1f], c.FirstWeightSeen);
    }

    [Fact]
    public void Sync_worker_computes_again_on_the_same_version_when_its_push_was_refused_in_the_open_round()
    {
        var (s, _) = Worker(ConsistencyMode.Sync);
        Drain(s, Registered(s));
        var outbox = s.Handle(new GradientRejected(4, 0, 0, RejectionReason.NonFinite, "server saw NaN", CurrentVersion: 0));
        Assert.Equal(0, Assert.IsType<PushGradient>(Assert.Single(Drain(s, outbox))).BaseVersion);
    }

    [Fact]
    public void Async_worker_takes_the_newest_weights_that_arrived_between_chunks()
    {
        var (s, c) = Worker(ConsistencyMode.Async);
        var tick = Registered(s);
        s.Handle(new ComputeNextChunk(4));                       // chunk 0 on version 0
        s.Handle(new GradientApplied(4, 0, 0, 1, 0));
        s.Handle(new WeightsPublished(1, 1, WeightsAt(1)));
        s.Handle(new WeightsPublished(2, 2, WeightsAt(2)));
        s.Handle(new WeightsPublished(1, 1, WeightsAt(1)));      // late duplicate: ignored
        var push = s.Handle(new ComputeNextChunk(4)).Select(o => o.Message).OfType<PushGradient>().Single();
        Assert.Equal(2, push.BaseVersion);
        Assert.Equal([0f, 2f], c.FirstWeightSeen);
        Assert.Single(tick);
    }

    [Fact]
    public void Async_worker_asks_for_one_tick_at_a_time()
    {
        var (s, _) = Worker(ConsistencyMode.Async);
        Registered(s);
        Assert.DoesNotContain(s.Handle(new WeightsPublished(1, 1, WeightsAt(1))), o => o.To.Audience == Audience.Self);
    }

    [Fact]
    public void A_worker_keeps_at_most_max_in_flight_pushes_unanswered()
    {
        var (s, _) = Worker(ConsistencyMode.Async, maxInFlight: 2);
        var pushes = Drain(s, Registered(s), maxTicks: 5);
        Assert.Equal(2, pushes.Count);
        Assert.Equal(2, s.InFlight);
        Assert.False(s.MayCompute());

        var outbox = s.Handle(new GradientApplied(4, 0, 0, 1, 0));
        Assert.Equal([new Outgoing(Recipient.Self, new ComputeNextChunk(4))], outbox);
        Assert.Single(Drain(s, outbox, maxTicks: 5));
        // a rejection answers a push too
        Assert.Single(Drain(s, s.Handle(new GradientRejected(4, 1, 0, RejectionReason.TooStale, "stale", 1)), maxTicks: 5));
    }

    [Fact]
    public void Ssp_worker_does_not_compute_on_weights_more_than_s_versions_behind()
    {
        var (s, c) = Worker(ConsistencyMode.Ssp, staleness: 2);
        Drain(s, Registered(s), maxTicks: 1);
        // the server says it is at version 3 while we hold version 0: 3 − 0 > 2
        var outbox = s.Handle(new GradientRejected(4, 0, 0, RejectionReason.TooStale, "too stale", CurrentVersion: 3));
        Assert.False(s.MayCompute());
        Assert.Empty(outbox);
        Assert.Empty(s.Handle(new ComputeNextChunk(4)));

        // version 1 is still 2 behind 3: allowed again
        var resumed = Drain(s, s.Handle(new WeightsPublished(1, 1, WeightsAt(1))), maxTicks: 1);
        Assert.Equal(1, Assert.IsType<PushGradient>(Assert.Single(resumed)).BaseVersion);
        Assert.Equal([0f, 1f], c.FirstWeightSeen);
    }

    [Fact]
    public void Non_finite_gradient_is_reported_not_pushed_and_the_worker_moves_on()
    {
        var (s, c) = Worker(ConsistencyMode.Sync);
        c.NonFiniteChunks.Add(0);
        var sent = Drain(s, Registered(s), maxTicks: 2);

        var skipped = Assert.IsType<NonFiniteGradientSkipped>(sent[0]);
        Assert.Equal((4, 0L, 0L), (skipped.WorkerId, skipped.BaseVersion, skipped.ChunkId));
        var push = Assert.IsType<PushGradient>(Assert.Single(sent.OfType<PushGradient>()));
        Assert.Equal(1, push.ChunkId); // the next chunk, still on version 0 (sync round still open)
        Assert.All(push.Gradient, x => Assert.True(float.IsFinite(x)));
        Assert.Equal(1, s.NonFiniteSkipped);
    }

    [Fact]
    public void Training_finished_stops_the_worker()
    {
        var (s, _) = Worker(ConsistencyMode.Async);
        Drain(s, Registered(s), maxTicks: 1);
        Assert.Empty(s.Handle(new GradientRejected(4, 0, 0, RejectionReason.TrainingFinished, "done", 5)));
        Assert.Equal(WorkerPhase.Stopped, s.Phase);
        Assert.Empty(s.Handle(new ComputeNextChunk(4)));
    }

    [Fact]
    public void Rejected_registration_stops_the_worker_with_the_reason()
    {
        var (s, _) = Worker(ConsistencyMode.Async);
        s.Handle(new RegistrationRejected(4, "model mismatch"));
        Assert.Equal(WorkerPhase.Stopped, s.Phase);
        Assert.Contains("model mismatch", s.StopReason);
    }

    [Fact]
    public void Weights_of_the_wrong_length_are_refused_loudly()
    {
        var (s, _) = Worker(ConsistencyMode.Async);
        var ex = Assert.Throws<ArgumentException>(() => s.Handle(new WorkerRegistered(4, 0, new float[P + 1])));
        Assert.Contains($"length {P + 1}", ex.Message);
    }

    [Fact]
    public void A_snapshot_request_is_answered_with_the_streams_after_the_chunk_asked_not_the_newest()
    {
        var (s, _) = Worker(ConsistencyMode.Async, maxInFlight: 2);
        Assert.Equal(2, Drain(s, Registered(s, version: 3)).Count);         // chunks 0 and 1 on version 3: h = 3, then 6

        static WorkerSnapshotTaken Answer(IReadOnlyList<Outgoing> outbox) =>
            (WorkerSnapshotTaken)Assert.Single(outbox, o => o.To == Recipient.Server(0)).Message;
        var before = Answer(s.Handle(new SnapshotRequested(7, 4, long.MinValue)));
        Assert.Equal((7L, 4, 0L, 0f), (before.SnapshotId, before.WorkerId, before.Snapshot.NextChunk, before.Snapshot.Hidden[0]));
        var after0 = Answer(s.Handle(new SnapshotRequested(8, 4, 0)));
        Assert.Equal((1L, 3f), (after0.Snapshot.NextChunk, after0.Snapshot.Hidden[0]));
        var after1 = Answer(s.Handle(new SnapshotRequested(9, 4, 1)));
        Assert.Equal((2L, 6f), (after1.Snapshot.NextChunk, after1.Snapshot.Hidden[0]));
    }
}
