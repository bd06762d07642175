using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.ParameterServer;

/// <summary>The server's rules, exercised on the plain state class (no ActorSystem).</summary>
public sealed class ParameterServerStateTests
{
    private const int P = 4;
    private const float Lr = 0.5f;
    private static readonly ModelFingerprint Fp = new(P, "V=2,H=1,O=1,phi=Tanh,loss=MeanSquaredError");
    private static readonly float[] W0 = [1f, 2f, 3f, 4f];

    private static ParameterServerState Server(
        ConsistencyMode mode, int staleness = 0, int quorum = 1, long maxUpdates = 1000, int snapshotEvery = 0, long maxNonFinite = 100) =>
        new(new ServerSettings(mode, Fp, maxUpdates, staleness, quorum, snapshotEvery, maxNonFinite), W0, OptimizerUpdateRule.Sgd(Lr));

    private static ParameterServerState ServerWith(ConsistencyMode mode, int workers, int staleness = 0, long maxUpdates = 1000)
    {
        var s = Server(mode, staleness, quorum: workers, maxUpdates: maxUpdates);
        for (int id = 0; id < workers; id++) s.Handle(new RegisterWorker(id, Fp));
        return s;
    }

    private static PushGradient Push(int worker, long baseVersion, long chunk, params float[] g) =>
        new(worker, baseVersion, chunk, g, Loss: 1f + worker, GradNorm: 2.0 + worker, Clipped: worker % 2 == 1, Tokens: 8);

    private static float[] Ones(float v = 1f) => Enumerable.Repeat(v, P).ToArray();

    private static T Single<T>(IReadOnlyList<Outgoing> outbox, Recipient to) where T : ITrainerMessage =>
        Assert.Single(outbox.Where(o => o.To == to && o.Message is T).Select(o => (T)o.Message));

    private static float[] Sgd(float[] w, float[] g) => w.Select((x, i) => x - Lr * g[i]).ToArray();

    [Fact]
    public void With_bf16_weights_workers_get_a_rounded_copy_and_the_server_and_observer_keep_fp32()
    {
        var settings = new ServerSettings(ConsistencyMode.Async, Fp, 1000, observerSnapshotEvery: 1) { WeightsEncoding = Core.Compression.WireEncoding.Bf16 };
        var s = new ParameterServerState(settings, W0, OptimizerUpdateRule.Sgd(Lr));
        s.Handle(new RegisterWorker(0, Fp));
        float[] g = [0.001f, 0.002f, 0.003f, 0.004f];   // W − ½g is not a bf16 value
        var outbox = s.Handle(Push(0, 0, 0, g));

        var exact = Sgd(W0, g);
        var toWorkers = Single<WeightsPublished>(outbox, Recipient.AllWorkers);
        var toObserver = Single<WeightsPublished>(outbox, Recipient.Observer);
        Assert.Equal(Core.Compression.WireEncoding.Bf16, toWorkers.Encoding);
        Assert.Equal(exact.Select(Core.Compression.Bf16.Round), toWorkers.Weights);
        Assert.All(exact.Zip(toWorkers.Weights), p => Assert.True(Math.Abs(p.First - p.Second) <= Math.Pow(2, -8) * Math.Abs(p.First)));
        Assert.NotEqual(exact, toWorkers.Weights);
        Assert.Equal(exact, toObserver.Weights);     // validation sees the server's W
        Assert.Equal(exact, s.Weights.ToArray());    // the master copy is fp32
    }

    // ---- registration --------------------------------------------------------------------------

    [Fact]
    public void Registration_replies_with_the_current_weights_and_version()
    {
        var s = Server(ConsistencyMode.Async);
        var outbox = s.Handle(new RegisterWorker(7, Fp));
        var reg = Single<WorkerRegistered>(outbox, Recipient.Worker(7));
        Assert.Equal(0, reg.Version);
        Assert.Equal(W0, reg.Weights);
        Assert.True(s.IsRegistered(7));
    }

    [Theory]
    [InlineData(P + 1, "V=2,H=1,O=1,phi=Tanh,loss=MeanSquaredError")]
    [InlineData(P, "V=3,H=1,O=1,phi=Tanh,loss=MeanSquaredError")]
    public void Registration_with_a_mismatched_fingerprint_is_rejected(int count, string shape)
    {
        var s = Server(ConsistencyMode.Async);
        var outbox = s.Handle(new RegisterWorker(1, new ModelFingerprint(count, shape)));
        var rejected = Single<RegistrationRejected>(outbox, Recipient.Sender);
        Assert.Contains("model mismatch", rejected.Reason);
        Single<RegistrationRejected>(outbox, Recipient.Observer);
        Assert.False(s.IsRegistered(1));
    }

    [Fact]
    public void Registration_of_an_id_already_registered_is_rejected()
    {
        var s = Server(ConsistencyMode.Async);
        s.Handle(new RegisterWorker(3, Fp));
        var outbox = s.Handle(new RegisterWorker(3, Fp));
        Assert.Contains("already registered", Single<RegistrationRejected>(outbox, Recipient.Sender).Reason);
        Assert.Single(s.RegisteredWorkers);
    }

    [Fact]
    public void Weights_are_handed_out_only_once_the_start_quorum_has_registered()
    {
        var s = Server(ConsistencyMode.Sync, quorum: 3);
        Assert.Empty(s.Handle(new RegisterWorker(2, Fp)));
        Assert.Empty(s.Handle(new RegisterWorker(0, Fp)));
        var outbox = s.Handle(new RegisterWorker(1, Fp));
        Assert.Equal([0, 1, 2], outbox.Select(o => ((WorkerRegistered)o.Message).WorkerId));
        Assert.All(outbox, o => Assert.Equal(W0, ((WorkerRegistered)o.Message).Weights));
        // after the start, a newcomer gets the weights at once
        Assert.Single(s.Handle(new RegisterWorker(5, Fp)), o => o.Message is WorkerRegistered);
    }

    // ---- apply and publish -----------------------------------------------------------------------

    [Fact]
    public void Async_push_is_applied_with_the_update_rule_and_published_to_all_workers()
    {
        var s = ServerWith(ConsistencyMode.Async, workers: 2);
        float[] g = [1f, -2f, 0.5f, 0f];
        var outbox = s.Handle(Push(1, 0, 0, g));

        Assert.Equal(Sgd(W0, g), s.Weights.ToArray());
        Assert.Equal(1, s.Version);
        var published = Single<WeightsPublished>(outbox, Recipient.AllWorkers);
        Assert.Equal(1, published.Version);
        Assert.Equal(s.Weights.ToArray(), published.Weights);
        var applied = Single<GradientApplied>(outbox, Recipient.Worker(1));
        Assert.Equal((1, 0L, 0L, 1L, 0L), (applied.WorkerId, applied.ChunkId, applied.BaseVersion, applied.Version, applied.Staleness));
        var update = Single<UpdateApplied>(outbox, Recipient.Observer);
        Assert.Equal((1L, 1L, 2f, 3.0, true, 0L, 8), (update.UpdateNumber, update.Version, update.Loss, update.GradNorm, update.Clipped, update.Staleness, update.Tokens));
        Assert.Equal([1], update.WorkerIds);
        // weights are published before the ack, so a worker never hears of a version it does not hold
        Assert.True(outbox.ToList().FindIndex(o => o.Message is WeightsPublished) < outbox.ToList().FindIndex(o => o.Message is GradientApplied));
    }

    [Fact]
    public void Published_weights_are_a_copy_that_later_updates_do_not_change()
    {
        var s = ServerWith(ConsistencyMode.Async, workers: 1);
        var first = Single<WeightsPublished>(s.Handle(Push(0, 0, 0, Ones())), Recipient.AllWorkers).Weights;
        var snapshot = first.ToArray();
        s.Handle(Push(0, 1, 1, Ones()));
        Assert.Equal(snapshot, first);
    }

    // ---- published snapshots -----------------------------------------------------------------

    [Fact]
    public void With_a_snapshot_pool_workers_get_a_pooled_leased_copy_and_the_observer_a_fresh_one()
    {
        var pool = new SnapshotPool(P);
        var s = new ParameterServerState(new ServerSettings(ConsistencyMode.Async, Fp, 2, 0, 1, observerSnapshotEvery: 1, 100),
            W0, OptimizerUpdateRule.Sgd(Lr), snapshots: pool);
        s.Handle(new RegisterWorker(0, Fp));

        var outbox = s.Handle(Push(0, 0, 0, Ones()));
        var toWorkers = Single<WeightsPublished>(outbox, Recipient.AllWorkers);
        var toObserver = Single<WeightsPublished>(outbox, Recipient.Observer);
        Assert.NotNull(toWorkers.Lease);
        Assert.Same(toWorkers.Lease!.Weights, toWorkers.Weights);
        Assert.Null(toObserver.Lease);
        Assert.NotSame(toWorkers.Weights, toObserver.Weights);
        Assert.Equal(Sgd(W0, Ones()), toWorkers.Weights);
        Assert.Equal(Sgd(W0, Ones()), toObserver.Weights);
        Assert.Equal(1, pool.Allocated);

        toWorkers.Lease.Release();           // nobody else holds it: free again
        var last = s.Handle(Push(0, 1, 1, Ones())); // the run's last update publishes nothing to workers
        Assert.DoesNotContain(last, o => o.To == Recipient.AllWorkers);
        Assert.Same(toWorkers.Weights, pool.Rent().Weights); // nothing rented by the last update
    }

    // ---- consistency modes ---------------------------------------------------------------------

    [Fact]
    public void Sync_waits_for_every_active_worker_then_applies_the_mean_once()
    {
        var s = ServerWith(ConsistencyMode.Sync, workers: 3);
        float[] g0 = [3f, 0f, 0f, 0f], g1 = [0f, 3f, 0f, 0f], g2 = [0f, 0f, 3f, 3f];

        Assert.DoesNotContain(s.Handle(Push(1, 0, 0, g1)), o => o.Message is WeightsPublished);
        Assert.DoesNotContain(s.Handle(Push(0, 0, 0, g0)), o => o.Message is WeightsPublished);
        Assert.Equal(W0, s.Weights.ToArray());
        var outbox = s.Handle(Push(2, 0, 0, g2));

        Assert.Equal(Sgd(W0, [1f, 1f, 1f, 1f]), s.Weights.ToArray());
        Assert.Equal(1, s.Version);
        var update = Single<UpdateApplied>(outbox, Recipient.Observer);
        Assert.Equal([0, 1, 2], update.WorkerIds);
        Assert.Equal(2f, update.Loss); // mean of 1, 2, 3
        Assert.Equal(3, outbox.Count(o => o.Message is GradientApplied));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Sync_applies_the_mean_of_n_gradients(int n)
    {
        var s = ServerWith(ConsistencyMode.Sync, workers: n);
        var grads = Enumerable.Range(0, n).Select(i => new[] { i + 1f, -2f * i, 0.5f, i % 2 }).ToArray();
        for (int i = n - 1; i >= 0; i--) s.Handle(Push(i, 0, 0, grads[i]));
        var mean = Enumerable.Range(0, 4).Select(j =>
        {
            float sum = grads[0][j];
            for (int i = 1; i < n; i++) sum += grads[i][j];
            return sum * (1f / n);
        }).ToArray();
        Assert.Equal(Sgd(W0, mean), s.Weights.ToArray());
    }

    [Fact]
    public void Sync_mean_is_summed_in_worker_id_order_whatever_the_arrival_order()
    {
        // float addition is not associative: (1e8 + 1) − 1e8 = 0 but (−1e8 + 1e8) + 1 = 1
        float[] g0 = Ones(1e8f), g1 = Ones(1f), g2 = Ones(-1e8f);
        float[] ByArrival(params int[] order)
        {
            var s = ServerWith(ConsistencyMode.Sync, workers: 3);
            var g = new[] { g0, g1, g2 };
            foreach (int id in order) s.Handle(Push(id, 0, 0, g[id]));
            return s.Weights.ToArray();
        }
        float sumInIdOrder = (1e8f + 1f) + -1e8f;
        var expected = Sgd(W0, Ones(sumInIdOrder * (1f / 3)));
        Assert.Equal(expected, ByArrival(0, 1, 2));
        Assert.Equal(expected, ByArrival(2, 0, 1));
        Assert.Equal(expected, ByArrival(1, 2, 0));
    }

    [Fact]
    public void Sync_rejects_a_gradient_on_an_older_version_and_a_second_one_in_the_same_round()
    {
        var s = ServerWith(ConsistencyMode.Sync, workers: 2);
        s.Handle(Push(0, 0, 0, Ones()));
        s.Handle(Push(1, 0, 0, Ones())); // round 1 closes: version 1
        var stale = Single<GradientRejected>(s.Handle(Push(0, 0, 1, Ones())), Recipient.Worker(0));
        Assert.Equal(RejectionReason.TooStale, stale.Reason);
        Assert.Equal(1, stale.CurrentVersion);
        s.Handle(Push(0, 1, 2, Ones()));
        var twice = Single<GradientRejected>(s.Handle(Push(0, 1, 3, Ones())), Recipient.Worker(0));
        Assert.Equal(RejectionReason.AlreadyInRound, twice.Reason);
        Assert.Equal(1, s.Version);
    }

    [Fact]
    public void Async_applies_each_gradient_on_arrival_and_records_its_staleness()
    {
        var s = ServerWith(ConsistencyMode.Async, workers: 3);
        s.Handle(Push(0, 0, 0, Ones()));
        s.Handle(Push(1, 0, 0, Ones()));
        var outbox = s.Handle(Push(2, 0, 0, Ones()));

        Assert.Equal(3, s.Version);
        Assert.Equal(2, Single<UpdateApplied>(outbox, Recipient.Observer).Staleness);
        var stats = s.Stats();
        Assert.Equal(3, stats.GradientsApplied);
        Assert.Equal([1L, 1L, 1L], stats.StalenessHistogram[..3]);
        Assert.Equal(2, stats.MaxStaleness);
        Assert.Equal(1.0, stats.MeanStaleness);
    }

    [Fact]
    public void Ssp_applies_within_the_bound_and_rejects_a_staler_gradient_without_touching_W()
    {
        var s = ServerWith(ConsistencyMode.Ssp, workers: 2, staleness: 2);
        for (long c = 0; c < 3; c++) s.Handle(Push(0, c, c, Ones())); // version 3
        var within = s.Handle(Push(1, 1, 0, Ones()));           // staleness 2 ≤ 2
        Assert.Equal(2, Single<GradientApplied>(within, Recipient.Worker(1)).Staleness);
        var w = s.Weights.ToArray();

        var outbox = s.Handle(Push(1, 1, 1, Ones()));          // staleness 3 > 2
        var rejected = Single<GradientRejected>(outbox, Recipient.Worker(1));
        Assert.Equal(RejectionReason.TooStale, rejected.Reason);
        Assert.Equal(4, rejected.CurrentVersion);
        Assert.Equal(w, s.Weights.ToArray());
        Assert.Equal(4, s.Version);
        Assert.Equal(1, s.Stats().Rejections(RejectionReason.TooStale));
        Assert.Equal(1, s.Stats().StalenessHistogram[2]);
    }

    // ---- bad pushes ----------------------------------------------------------------------------

    public static TheoryData<string, PushGradient, RejectionReason> BadPushes => new()
    {
        { "wrong length", Push(0, 0, 5, 1f, 2f, 3f), RejectionReason.WrongLength },
        { "NaN", Push(0, 0, 5, 1f, float.NaN, 3f, 4f), RejectionReason.NonFinite },
        { "+Inf", Push(0, 0, 5, 1f, 2f, float.PositiveInfinity, 4f), RejectionReason.NonFinite },
        { "-Inf", Push(0, 0, 5, float.NegativeInfinity, 2f, 3f, 4f), RejectionReason.NonFinite },
        { "unknown worker", Push(9, 0, 5, 1f, 2f, 3f, 4f), RejectionReason.UnknownWorker },
        { "duplicate chunk id", Push(0, 0, 4, 1f, 2f, 3f, 4f), RejectionReason.DuplicateChunk },
        { "earlier chunk id", Push(0, 0, 3, 1f, 2f, 3f, 4f), RejectionReason.DuplicateChunk },
        { "future version", Push(0, 7, 5, 1f, 2f, 3f, 4f), RejectionReason.FutureVersion },
    };

    [Theory]
    [MemberData(nameof(BadPushes))]
    public void A_bad_push_is_rejected_with_its_reason_W_untouched_and_counted(string name, PushGradient push, RejectionReason reason)
    {
        foreach (var mode in Enum.GetValues<ConsistencyMode>())
        {
            var s = ServerWith(mode, workers: 1, staleness: 5);
            s.Handle(Push(0, 0, 4, Ones(0f))); // chunk 4 seen (sync: applied, as worker 0 is the only one)
            var w = s.Weights.ToArray();
            long version = s.Version;

            var outbox = s.Handle(push);

            var rejected = Single<GradientRejected>(outbox, Recipient.Observer);
            Assert.True(reason == rejected.Reason, $"{name} in {mode}: expected {reason}, got {rejected.Reason} ({rejected.Detail})");
            Assert.Equal(w, s.Weights.ToArray());
            Assert.Equal(version, s.Version);
            Assert.DoesNotContain(outbox, o => o.Message is WeightsPublished);
            var stats = s.Stats();
            Assert.Equal(1, stats.Rejections(reason));
            Assert.Equal(1, stats.TotalRejections);
        }
    }

    [Fact]
    public void A_rejected_chunk_id_is_used_up()
    {
        var s = ServerWith(ConsistencyMode.Async, workers: 1);
        s.Handle(Push(0, 0, 0, 1f, float.NaN, 0f, 0f));
        var outbox = s.Handle(Push(0, 0, 0, Ones()));
        Assert.Equal(RejectionReason.DuplicateChunk, Single<GradientRejected>(outbox, Recipient.Worker(0)).Reason);
    }

    // ---- workers leaving -------------------------------------------------------------------------

    [Fact]
    public void A_worker_leaving_unblocks_the_open_sync_round()
    {
        var s = ServerWith(ConsistencyMode.Sync, workers: 3);
        s.Handle(Push(0, 0, 0, Ones(2f)));
        s.Handle(Push(1, 0, 0, Ones(4f)));
        Assert.Equal(0, s.Version);

        var outbox = s.Handle(new WorkerLeft(2, "crashed"));

        Assert.Equal(1, s.Version);
        Assert.Equal(Sgd(W0, Ones(3f)), s.Weights.ToArray());
        Assert.Equal([0, 1], Single<UpdateApplied>(outbox, Recipient.Observer).WorkerIds);
        Single<WorkerLeft>(outbox, Recipient.Observer);
        Assert.False(s.IsRegistered(2));
    }

    [Fact]
    public void A_worker_leaving_takes_its_pending_gradient_with_it()
    {
        var s = ServerWith(ConsistencyMode.Sync, workers: 2);
        s.Handle(Push(0, 0, 0, Ones(100f)));
        s.Handle(new WorkerLeft(0, "left"));
        Assert.Equal(0, s.Version);
        s.Handle(Push(1, 0, 0, Ones(2f)));
        Assert.Equal(Sgd(W0, Ones(2f)), s.Weights.ToArray());
    }

    [Fact]
    public void The_last_worker_leaving_an_empty_round_applies_nothing()
    {
        var s = ServerWith(ConsistencyMode.Sync, workers: 1);
        var outbox = s.Handle(new WorkerLeft(0, "left"));
        Assert.Equal(0, s.Version);
        Assert.DoesNotContain(outbox, o => o.Message is UpdateApplied);
    }

    // ---- completion ------------------------------------------------------------------------------

    [Fact]
    public void Reaching_max_updates_completes_the_run_and_refuses_further_pushes()
    {
        var s = ServerWith(ConsistencyMode.Async, workers: 1, maxUpdates: 2);
        s.Handle(Push(0, 0, 0, Ones()));
        var outbox = s.Handle(Push(0, 1, 1, Ones()));
        var done = Single<TrainingCompleted>(outbox, Recipient.Observer);
        Assert.Equal((CompletionReason.ReachedMaxUpdates, 2L, 2L), (done.Reason, done.Version, done.Stats.Updates));
        Assert.Equal(s.Weights.ToArray(), done.Weights);
        Assert.True(s.IsFinished);

        var late = Single<GradientRejected>(s.Handle(Push(0, 2, 2, Ones())), Recipient.Worker(0));
        Assert.Equal(RejectionReason.TrainingFinished, late.Reason);
        Assert.Equal(2, s.Version);
    }

    [Fact]
    public void Stop_training_completes_the_run_at_the_current_version()
    {
        var s = ServerWith(ConsistencyMode.Async, workers: 1);
        s.Handle(Push(0, 0, 0, Ones()));
        var done = Single<TrainingCompleted>(s.Handle(new StopTraining("cancelled")), Recipient.Observer);
        Assert.Equal((CompletionReason.Stopped, "cancelled", 1L), (done.Reason, done.Detail, done.Version));
    }

    [Fact]
    public void A_stop_at_a_later_update_lets_the_gradients_in_flight_close_their_round_first()
    {
        var s = ServerWith(ConsistencyMode.Sync, workers: 2);
        s.Handle(Push(0, 0, 0, Ones()));
        s.Handle(Push(1, 0, 0, Ones()));                           // update 1
        s.Handle(Push(0, 1, 1, Ones()));                           // round 2 half in
        Assert.Empty(s.Handle(new StopTraining("another shard completed", AtUpdate: 2)));
        Assert.False(s.IsFinished);

        var outbox = s.Handle(Push(1, 1, 1, Ones()));              // update 2 closes: the stop applies
        Assert.Equal(2, s.Updates);
        Assert.DoesNotContain(outbox, o => o.Message is WeightsPublished); // the last update publishes nothing
        var done = Single<TrainingCompleted>(outbox, Recipient.Observer);
        Assert.Equal((CompletionReason.Stopped, 2L), (done.Reason, done.Version));
    }

    [Fact]
    public void A_stop_at_an_update_already_reached_stops_at_once()
    {
        var s = ServerWith(ConsistencyMode.Sync, workers: 1);
        s.Handle(Push(0, 0, 0, Ones()));
        var done = Single<TrainingCompleted>(s.Handle(new StopTraining("late", AtUpdate: 1)), Recipient.Observer);
        Assert.Equal(1, done.Version);
    }

    [Fact]
    public void Too_many_non_finite_reports_abort_the_run_as_diverged()
    {
        var s = Server(ConsistencyMode.Async, maxNonFinite: 2);
        s.Handle(new RegisterWorker(0, Fp));
        for (long c = 0; c < 2; c++)
            Assert.DoesNotContain(s.Handle(new NonFiniteGradientSkipped(0, 0, c, float.NaN, double.NaN)), o => o.Message is TrainingCompleted);
        var outbox = s.Handle(new NonFiniteGradientSkipped(0, 0, 2, float.NaN, double.NaN));
        Assert.Equal(CompletionReason.Diverged, Single<TrainingCompleted>(outbox, Recipient.Observer).Reason);
        Assert.Equal(3, s.Stats().NonFiniteReports);
        Assert.Equal(W0, s.Weights.ToArray());
    }

    [Fact]
    public void The_observer_gets_W_every_snapshot_interval()
    {
        var s = Server(ConsistencyMode.Async, snapshotEvery: 2);
        s.Handle(new RegisterWorker(0, Fp));
        var versions = new List<long>();
        for (long c = 0; c < 5; c++)
            versions.AddRange(s.Handle(Push(0, c, c, Ones()))
                .Where(o => o.To == Recipient.Observer && o.Message is WeightsPublished)
                .Select(o => ((WeightsPublished)o.Message).Version));
        Assert.Equal([2L, 4L], versions);
    }

    // ---- run snapshots -------------------------------------------------------------------------

    private static WorkerSnapshot Streams(long next, float h) => new(0, 1, next, [h]);

    [Fact]
    public void A_run_snapshot_holds_W_after_its_update_and_each_workers_last_counted_chunk_and_the_final_one_comes_before_completion()
    {
        var settings = new ServerSettings(ConsistencyMode.Sync, Fp, 1000, startQuorum: 2) { RunSnapshots = true, SnapshotEvery = 1 };
        var s = new ParameterServerState(settings, W0, OptimizerUpdateRule.Sgd(Lr));
        s.Handle(new RegisterWorker(0, Fp));
        s.Handle(new RegisterWorker(1, Fp));
        s.Handle(Push(0, 0, 5, Ones()));
        var outbox = s.Handle(Push(1, 0, 9, Ones(2)));                       // closes update 1: a snapshot is due
        Assert.Equal(new SnapshotRequested(0, 0, 5), Single<SnapshotRequested>(outbox, Recipient.Worker(0)));
        Assert.Equal(new SnapshotRequested(0, 1, 9), Single<SnapshotRequested>(outbox, Recipient.Worker(1)));
        Assert.DoesNotContain(outbox, o => o.Message is RunSnapshot);       // waits for the workers

        s.Handle(Push(0, 1, 6, Ones()));                                     // waits in the open round: not counted
        var stop = s.Handle(new StopTraining("stopped"));
        Assert.Equal(new SnapshotRequested(1, 0, 5), Single<SnapshotRequested>(stop, Recipient.Worker(0)));
        Assert.DoesNotContain(stop, o => o.Message is TrainingCompleted);   // held for the final snapshot

        s.Handle(new WorkerSnapshotTaken(0, 0, Streams(6, 0.5f)));
        var first = Single<RunSnapshot>(s.Handle(new WorkerSnapshotTaken(0, 1, Streams(10, 0.25f))), Recipient.Observer);
        Assert.Equal((1L, 1L, false), (first.UpdateNumber, first.Version, first.Final));
        Assert.Equal(Sgd(W0, Ones(1.5f)), first.Weights);                    // W after update 1
        Assert.Equal([6L, 10L], first.Workers.Select(w => w.NextChunk));

        s.Handle(new WorkerSnapshotTaken(1, 1, Streams(10, 0.25f)));
        var last = s.Handle(new WorkerSnapshotTaken(1, 0, Streams(6, 0.5f)));
        Assert.True(Single<RunSnapshot>(last, Recipient.Observer).Final);
        Assert.IsType<TrainingCompleted>(last[^1].Message);                 // the completion follows the final snapshot
    }

    [Fact]
    public void A_worker_that_answered_the_final_snapshot_and_then_stopped_keeps_its_streams_in_it()
    {
        var settings = new ServerSettings(ConsistencyMode.Async, Fp, 1000, startQuorum: 2) { RunSnapshots = true };
        var s = new ParameterServerState(settings, W0, OptimizerUpdateRule.Sgd(Lr));
        s.Handle(new RegisterWorker(0, Fp));
        s.Handle(new RegisterWorker(1, Fp));
        s.Handle(Push(0, 0, 0, Ones()));
        s.Handle(new StopTraining("stopped"));
        s.Handle(new WorkerSnapshotTaken(0, 0, Streams(1, 0.5f)));            // worker 0 answers, then stops
        Assert.DoesNotContain(s.Handle(new WorkerLeft(0, "terminated")), o => o.Message is RunSnapshot);
        var last = s.Handle(new WorkerSnapshotTaken(0, 1, Streams(0, 0f)));
        Assert.Equal([1L, 0L], Single<RunSnapshot>(last, Recipient.Observer).Workers.Select(w => w.NextChunk));
        // one that leaves without answering is no longer waited for
        var t = new ParameterServerState(settings, W0, OptimizerUpdateRule.Sgd(Lr));
        t.Handle(new RegisterWorker(0, Fp));
        t.Handle(new RegisterWorker(1, Fp));
        t.Handle(new StopTraining("stopped"));
        t.Handle(new WorkerSnapshotTaken(0, 1, Streams(0, 0f)));
        Assert.Equal([0L], Single<RunSnapshot>(t.Handle(new WorkerLeft(0, "terminated")), Recipient.Observer).Workers.Select(w => w.NextChunk));
    }

    [Fact]
    public void A_diverged_run_takes_no_final_snapshot()
    {
        var settings = new ServerSettings(ConsistencyMode.Async, Fp, 1000, maxNonFiniteReports: 0) { RunSnapshots = true };
        var s = new ParameterServerState(settings, W0, OptimizerUpdateRule.Sgd(Lr));
        s.Handle(new RegisterWorker(0, Fp));
        var outbox = s.Handle(new NonFiniteGradientSkipped(0, 0, 0, float.NaN, double.NaN));
        Assert.Equal(CompletionReason.Diverged, Single<TrainingCompleted>(outbox, Recipient.Observer).Reason);
        Assert.DoesNotContain(outbox, o => o.Message is SnapshotRequested or RunSnapshot);
    }
}
