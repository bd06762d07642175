using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.Cluster;

/// <summary>The cluster server's rules — membership, slot moves with h, ownership, chunk order, dedup,
/// sync rounds over the run's slots, checkpoints — on the plain state class (no ActorSystem).</summary>
public sealed class ClusterServerStateTests
{
    private const int P = 3, B = 1, Port = 4054;
    private const float Lr = 0.5f;
    private static readonly ModelFingerprint Model = new(P, "test-model");
    private static readonly RunFingerprint Fingerprint = new(Model, "ab", 100, StreamsPerWorker: B, ChunkLength: 5, Training: "sgd", MaxFrameSize: 128_000);
    private const string A = "akka.tcp://actortrainer@10.0.0.1:4100", Bn = "akka.tcp://actortrainer@10.0.0.2:4100";

    private static ClusterServerState State(ConsistencyMode mode, int slots, long maxUpdates = 1000, int checkpointEvery = 0, OptimizerUpdateRule? rule = null) =>
        new(new ClusterRunSettings(new ServerSettings(mode, Model, maxUpdates, startQuorum: slots), Fingerprint, slots, B, checkpointEvery),
            new float[P], rule ?? OptimizerUpdateRule.Sgd(Lr), Port);

    /// <summary>Joins and connects <paramref name="node"/>; returns its slot assignments.</summary>
    private static List<SlotAssigned> Bring(ClusterServerState s, string node, int capacity)
    {
        Assert.IsType<RunJoined>(Assert.Single(s.Handle(node, new JoinRun(capacity, Fingerprint))).Message);
        return To<SlotAssigned>(s.Handle(node, new NodeConnected()), node);
    }

    /// <summary>Brings nodes A and Bn with one worker each: the run starts once both are in.</summary>
    private static (SlotAssigned A, SlotAssigned B) BringTwo(ClusterServerState s)
    {
        Assert.Empty(Bring(s, A, 1)); // one worker offered of two: nothing assigned yet
        s.Handle(Bn, new JoinRun(1, Fingerprint));
        var started = s.Handle(Bn, new NodeConnected());
        return (To<SlotAssigned>(started, A).Single(), To<SlotAssigned>(started, Bn).Single());
    }

    private static List<T> To<T>(IReadOnlyList<ClusterOutgoing> outbox, string? node) =>
        outbox.Where(o => o.Node == node && o.Message is T).Select(o => (T)o.Message).ToList();

    private static PushGradient Push(int slot, long version, long chunk, float g, params float[] h) =>
        new(slot, version, chunk, Enumerable.Repeat(g, P).ToArray(), 1f, 1.0, false, 5) { Hidden = h };

    /// <summary>Registers every slot in <paramref name="hosts"/> (slot → (node, assignment)).</summary>
    private static IReadOnlyList<ClusterOutgoing> RegisterAll(ClusterServerState s, params (string Node, SlotAssigned Slot)[] hosts)
    {
        var all = new List<ClusterOutgoing>();
        foreach (var (node, a) in hosts) all.AddRange(s.Handle(node, new RegisterSlotWorker(a.Slot, a.Assignment)));
        return all;
    }

    // ---- membership ------------------------------------------------------------------------------

    [Fact]
    public void A_joined_node_gets_slots_only_once_its_connection_is_open()
    {
        var s = State(ConsistencyMode.Sync, slots: 2);

        var joined = s.Handle(A, new JoinRun(2, Fingerprint));
        Assert.Equal(new RunJoined(2, Port), Assert.Single(joined).Message);
        Assert.Null(s.HostOf(0));

        var connected = s.Handle(A, new NodeConnected());
        Assert.IsType<WelcomeNode>(connected[0].Message); // first on the connection, then the slots
        var slots = To<SlotAssigned>(connected, A);
        Assert.Equal([0, 1], slots.Select(a => a.Slot));
        Assert.All(slots, a => Assert.Equal((0L, 0), (a.NextChunk, a.Hidden.Length)));
        Assert.NotEqual(slots[0].Assignment, slots[1].Assignment);
        Assert.Single(To<NodeJoined>(connected, null));
    }

    [Fact]
    public void A_connection_proving_another_name_than_its_node_joined_under_is_refused_and_the_claim_voided()
    {
        var s = State(ConsistencyMode.Sync, slots: 1);
        s.Handle(A, new JoinRun(1, Fingerprint, "worker-1"));

        var refused = s.Handle(A, new NodeConnected(1, ProvedName: "worker-2"));

        Assert.Contains("cannot take another's identity", Assert.Single(To<CloseChannel>(refused, A)).Reason);
        Assert.Contains("'worker-2'", Assert.Single(To<ConnectionRefused>(refused, null)).Reason);
        Assert.Empty(To<WelcomeNode>(refused, A));
        Assert.Null(s.HostOf(0));
        // The claim is void: connecting again without a new join is refused; joining as itself works.
        Assert.Contains("has not joined", Assert.Single(To<CloseChannel>(s.Handle(A, new NodeConnected(1, "worker-2")), A)).Reason);
        s.Handle(A, new JoinRun(1, Fingerprint, "worker-2"));
        Assert.Single(To<SlotAssigned>(s.Handle(A, new NodeConnected(1, "worker-2")), A));
    }

    [Fact]
    public void A_node_name_is_in_the_run_once_whoever_claims_it_first()
    {
        var s = State(ConsistencyMode.Sync, slots: 1);
        s.Handle(A, new JoinRun(1, Fingerprint, "worker-1"));
        s.Handle(Bn, new JoinRun(1, Fingerprint, "worker-1")); // both claim it; only a certificate decides
        Assert.Empty(To<CloseChannel>(s.Handle(A, new NodeConnected(1, "worker-1")), A));

        var second = s.Handle(Bn, new NodeConnected(1, "worker-1"));
        Assert.Contains($"in the run already as {A}", Assert.Single(To<CloseChannel>(second, Bn)).Reason);
        Assert.Equal(A, s.HostOf(0));

        const string C = "akka.tcp://actortrainer@10.0.0.3:4100";
        var join = s.Handle(C, new JoinRun(1, Fingerprint, "worker-1"));
        Assert.Contains("cannot take another's identity", Assert.Single(To<RunJoinRejected>(join, C)).Reason);
    }

    [Fact]
    public void In_plaintext_nothing_is_proved_and_nothing_is_bound()
    {
        var s = State(ConsistencyMode.Sync, slots: 2);
        s.Handle(A, new JoinRun(1, Fingerprint, ""));
        s.Handle(Bn, new JoinRun(1, Fingerprint, ""));
        Assert.Empty(To<CloseChannel>(s.Handle(A, new NodeConnected()), A));
        Assert.Empty(To<CloseChannel>(s.Handle(Bn, new NodeConnected()), Bn));
    }

    [Fact]
    public void A_node_with_another_model_is_refused_and_one_that_never_joined_cannot_connect()
    {
        var s = State(ConsistencyMode.Sync, slots: 1);
        var other = Fingerprint with { Model = new ModelFingerprint(P + 1, "other") };

        var refused = s.Handle(A, new JoinRun(1, other));
        Assert.Contains("model mismatch", Assert.Single(To<RunJoinRejected>(refused, A)).Reason);
        Assert.Single(To<RunJoinRejected>(refused, null));

        var close = s.Handle(Bn, new NodeConnected());
        Assert.Contains("has not joined", Assert.Single(To<CloseChannel>(close, Bn)).Reason);
        Assert.Single(To<ConnectionRefused>(close, null)); // and the ps says so
        Assert.Null(s.HostOf(0));
    }

    // ---- ownership, chunk order, dedup -----------------------------------------------------------

    [Fact]
    public void A_node_cannot_register_or_push_for_a_slot_it_does_not_host()
    {
        var s = State(ConsistencyMode.Async, slots: 2);
        var (a, b) = BringTwo(s);
        RegisterAll(s, (A, a), (Bn, b));

        var wrongNode = s.Handle(Bn, new SlotPush(a.Assignment, Push(a.Slot, 0, 0, 1f, 0.5f)));
        var wrongAssignment = s.Handle(A, new SlotPush(b.Assignment, Push(a.Slot, 0, 0, 1f, 0.5f)));

        foreach (var outbox in new[] { wrongNode, wrongAssignment })
        {
            Assert.DoesNotContain(outbox, o => o.Node is not null); // the sender was revoked or never hosted it: no answer
            Assert.Equal(RejectionReason.UnknownWorker, Assert.Single(To<GradientRejected>(outbox, null)).Reason);
        }
        Assert.Equal(0, s.Server.Version);
        Assert.Equal(0, s.Cursor(a.Slot).ResumeChunk);
    }

    [Fact]
    public void A_chunk_id_beyond_the_next_is_refused_and_does_not_move_the_resume_point()
    {
        var s = State(ConsistencyMode.Async, slots: 1);
        var a = Bring(s, A, 1).Single();
        RegisterAll(s, (A, a));

        var outbox = s.Handle(A, new SlotPush(a.Assignment, Push(0, 0, 7, 1f, 0.5f)));

        Assert.Equal(RejectionReason.UnexpectedChunk, Assert.Single(To<GradientRejected>(outbox, A)).Reason);
        Assert.Equal(0, s.Server.Version);
        Assert.Equal((0L, 0L), (s.Cursor(0).ResumeChunk, s.Cursor(0).ExpectedNext));
        Assert.Single(To<GradientApplied>(s.Handle(A, new SlotPush(a.Assignment, Push(0, 0, 0, 1f, 0.5f))), A)); // chunk 0 is still the next
    }

    [Fact]
    public void A_local_steps_push_covers_its_chunks_its_first_must_be_the_next_and_the_slot_resumes_after_its_last()
    {
        var s = State(ConsistencyMode.Async, slots: 1);
        var a = Bring(s, A, 1).Single();
        RegisterAll(s, (A, a));

        var gap = s.Handle(A, new SlotPush(a.Assignment, Push(0, 0, 9, 1f, 0.5f) with { Chunks = 8 })); // chunks 2 … 9: 0 is next
        Assert.Equal(RejectionReason.UnexpectedChunk, Assert.Single(To<GradientRejected>(gap, A)).Reason);

        var window = Push(0, 0, 7, 1f, 0.5f) with { Chunks = 8 }; // chunks 0 … 7
        Assert.Single(To<GradientApplied>(s.Handle(A, new SlotPush(a.Assignment, window)), A));
        Assert.Equal((8L, 8L), (s.Cursor(0).ResumeChunk, s.Cursor(0).ExpectedNext));
        Assert.Empty(s.Handle(A, new SlotPush(a.Assignment, window))); // a resend: dropped
        Assert.Equal(1, s.DuplicatesDropped);
    }

    [Fact]
    public void A_resent_push_is_applied_once()
    {
        var s = State(ConsistencyMode.Async, slots: 1);
        var a = Bring(s, A, 1).Single();
        RegisterAll(s, (A, a));
        var push = new SlotPush(a.Assignment, Push(0, 0, 0, 1f, 0.5f));

        Assert.Single(To<GradientApplied>(s.Handle(A, push), A));
        var w = s.Server.Weights.ToArray();
        var again = s.Handle(A, push);

        Assert.Empty(again); // its first copy was answered
        Assert.Equal(1, s.Server.Version);
        Assert.Equal(w, s.Server.Weights.ToArray());
        Assert.Equal(1, s.DuplicatesDropped);
    }

    // ---- slot moves with h -----------------------------------------------------------------------

    [Fact]
    public void A_dropped_nodes_slot_moves_with_the_h_of_its_last_accepted_chunk_and_the_round_waits_for_it()
    {
        var s = State(ConsistencyMode.Sync, slots: 2);
        var (a, b) = BringTwo(s);
        RegisterAll(s, (A, a), (Bn, b));
        s.Handle(A, new SlotPush(a.Assignment, Push(0, 0, 0, 1f, 0.25f)));
        Assert.Single(To<UpdateApplied>(s.Handle(Bn, new SlotPush(b.Assignment, Push(1, 0, 0, 3f, 9f))), null)); // round 1: both slots

        var dropped = s.Handle(A, new NodeDropped("its tensor channel broke"));

        var moved = Assert.Single(To<SlotAssigned>(dropped, Bn));
        Assert.Equal((0, 1L), (moved.Slot, moved.NextChunk));
        Assert.Equal([0.25f], moved.Hidden);
        Assert.NotEqual(a.Assignment, moved.Assignment);
        Assert.Equal(Bn, s.HostOf(0));
        Assert.Single(To<SlotMoved>(dropped, null), m => m.From == A && m.To == Bn && m.CarriesHidden);

        // The round belongs to both slots: slot 1 alone does not close it.
        Assert.Empty(To<UpdateApplied>(s.Handle(Bn, new SlotPush(b.Assignment, Push(1, 1, 1, 3f, 9f))), null));
        var registered = Assert.Single(To<WorkerRegistered>(s.Handle(Bn, new RegisterSlotWorker(0, moved.Assignment)), Bn));
        Assert.Equal((0, 1L), (registered.WorkerId, registered.Version)); // the round's W
        var closed = s.Handle(Bn, new SlotPush(moved.Assignment, Push(0, 1, 1, 1f, 0.5f)));
        var update = Assert.Single(To<UpdateApplied>(closed, null));
        Assert.Equal([0, 1], update.WorkerIds);
        Assert.Equal([1L, 1L], update.ChunkIds);
    }

    [Fact]
    public void A_slot_that_moves_while_its_gradient_waits_in_the_round_resumes_after_it_on_the_W_that_includes_it()
    {
        var s = State(ConsistencyMode.Sync, slots: 2);
        var (a, b) = BringTwo(s);
        RegisterAll(s, (A, a), (Bn, b));
        s.Handle(A, new SlotPush(a.Assignment, Push(0, 0, 0, 1f, 0.25f))); // waits in the round for slot 1

        var moved = Assert.Single(To<SlotAssigned>(s.Handle(A, new NodeDropped("gone")), Bn));
        Assert.Equal(1L, moved.NextChunk);
        Assert.Equal([0.25f], moved.Hidden);
        Assert.Empty(s.Handle(Bn, new RegisterSlotWorker(0, moved.Assignment))); // W only once its round closes

        var closed = s.Handle(Bn, new SlotPush(b.Assignment, Push(1, 0, 0, 3f, 9f)));

        var update = Assert.Single(To<UpdateApplied>(closed, null));
        Assert.Equal([0, 1], update.WorkerIds); // the dead node's gradient counts: it was received
        Assert.Equal([1], To<GradientApplied>(closed, Bn).Select(g => g.WorkerId)); // slot 0's ack belongs to its old hosting
        var registered = Assert.Single(To<WorkerRegistered>(closed, Bn));
        Assert.Equal((0, 1L), (registered.WorkerId, registered.Version));
        Assert.True(closed.ToList().FindIndex(o => o.Message is WeightsPublished) < closed.ToList().FindIndex(o => o.Message is WorkerRegistered));
    }

    [Fact]
    public void After_a_move_the_old_hosting_can_no_longer_push()
    {
        var s = State(ConsistencyMode.Async, slots: 1);
        var a = Bring(s, A, 1).Single();
        RegisterAll(s, (A, a));
        Bring(s, Bn, 1);
        var moved = Assert.Single(To<SlotAssigned>(s.Handle(A, new NodeDropped("unreachable")), Bn));

        var late = s.Handle(A, new SlotPush(a.Assignment, Push(0, 0, 0, 1f, 0.5f)));

        Assert.Equal(RejectionReason.UnknownWorker, Assert.Single(To<GradientRejected>(late, null)).Reason);
        Assert.Equal(0, s.Server.Version);
        Assert.Single(To<WorkerRegistered>(s.Handle(Bn, new RegisterSlotWorker(0, moved.Assignment)), Bn)); // async: W at once
    }

    // ---- checkpoints and the end -------------------------------------------------------------------

    [Fact]
    public void A_checkpoint_holds_every_slots_resume_chunk_and_h()
    {
        var s = State(ConsistencyMode.Async, slots: 2, checkpointEvery: 2);
        var both = Bring(s, A, 2);
        RegisterAll(s, (A, both[0]), (A, both[1]));
        s.Handle(A, new SlotPush(both[0].Assignment, Push(0, 0, 0, 1f, 0.25f)));

        var second = s.Handle(A, new SlotPush(both[1].Assignment, Push(1, 1, 0, 1f, 0.75f)));

        var c = Assert.Single(To<ServerCheckpoint>(second, null));
        Assert.Equal(2L, c.Updates);
        Assert.Equal([1L, 1L], c.NextChunk);
        Assert.Equal(new[] { new[] { 0.25f }, new[] { 0.75f } }, c.Hidden);
        Assert.Equal(s.Server.Weights.ToArray(), c.Weights);
    }

    [Fact]
    public void A_run_stopped_with_a_gradient_waiting_in_the_sync_round_checkpoints_that_slot_before_it()
    {
        var s = State(ConsistencyMode.Sync, slots: 2);
        var (a, b) = BringTwo(s);
        RegisterAll(s, (A, a), (Bn, b));
        s.Handle(A, new SlotPush(a.Assignment, Push(0, 0, 0, 1f, 0.25f)));
        Assert.Single(To<UpdateApplied>(s.Handle(Bn, new SlotPush(b.Assignment, Push(1, 0, 0, 3f, 9f))), null)); // round 1
        s.Handle(Bn, new SlotPush(b.Assignment, Push(1, 1, 1, 3f, 10f))); // slot 1's chunk 1 waits for slot 0's

        var stopped = s.Handle(new StopTraining("cancelled"));

        // The round was dropped unapplied: slot 1 resumes at chunk 1 with the h before it, as slot 0 does.
        var c = Assert.Single(To<ServerCheckpoint>(stopped, null));
        Assert.Equal(1L, c.Updates);
        Assert.Equal([1L, 1L], c.NextChunk);
        Assert.Equal(new[] { new[] { 0.25f }, new[] { 9f } }, c.Hidden);
        Assert.Equal(CompletionReason.Stopped, Assert.Single(To<TrainingCompleted>(stopped, null)).Reason);
    }

    [Fact]
    public void A_sync_round_the_server_refused_spends_its_chunks_so_a_checkpoint_resumes_every_slot_after_them()
    {
        var s = State(ConsistencyMode.Sync, slots: 2, rule: new OptimizerUpdateRule(new Core.Optim.Adam(0.01f)));
        var (a, b) = BringTwo(s);
        RegisterAll(s, (A, a), (Bn, b));
        s.Handle(A, new SlotPush(a.Assignment, Push(0, 0, 0, 1e30f, 0.25f)));
        var refused = s.Handle(Bn, new SlotPush(b.Assignment, Push(1, 0, 0, 1e30f, 9f))); // Adam's (1−β2)·g² overflows

        Assert.Equal(2, To<GradientRejected>(refused, null).Count(r => r.Reason == RejectionReason.NonFiniteUpdate));
        var c = Assert.Single(To<ServerCheckpoint>(s.Handle(new StopTraining("cancelled")), null));
        Assert.Equal([1L, 1L], c.NextChunk); // as the server counts them: neither chunk 0 comes again
        Assert.Equal(new[] { new[] { 0.25f }, new[] { 9f } }, c.Hidden);
    }

    [Fact]
    public void A_push_refused_as_too_stale_is_spent_and_the_slot_resumes_after_it()
    {
        var s = State(ConsistencyMode.Sync, slots: 2);
        var (a, b) = BringTwo(s);
        RegisterAll(s, (A, a), (Bn, b));
        s.Handle(A, new SlotPush(a.Assignment, Push(0, 0, 0, 1f, 0.25f)));
        s.Handle(Bn, new SlotPush(b.Assignment, Push(1, 0, 0, 3f, 9f))); // round 1 closes: version 1

        var stale = s.Handle(A, new SlotPush(a.Assignment, Push(0, 0, 1, 1f, 0.5f))); // computed on version 0

        Assert.Equal(RejectionReason.TooStale, Assert.Single(To<GradientRejected>(stale, A)).Reason);
        var c = Assert.Single(To<ServerCheckpoint>(s.Handle(new StopTraining("cancelled")), null));
        Assert.Equal([2L, 1L], c.NextChunk);
        Assert.Equal(new[] { new[] { 0.5f }, new[] { 9f } }, c.Hidden);
    }

    [Fact]
    public void The_end_of_the_run_is_told_to_every_node_on_its_connection_then_closes_it()
    {
        var s = State(ConsistencyMode.Async, slots: 1, maxUpdates: 1);
        var a = Bring(s, A, 1).Single();
        RegisterAll(s, (A, a));

        var last = s.Handle(A, new SlotPush(a.Assignment, Push(0, 0, 0, 1f, 0.5f)));

        var toA = last.Where(o => o.Node == A).Select(o => o.Message.GetType()).ToList();
        Assert.Equal([typeof(GradientApplied), typeof(RunFinished), typeof(CloseChannel)], toA);
        Assert.IsType<TrainingCompleted>(last[^1].Message);
        Assert.True(s.IsFinished);
        Assert.Contains("finished", Assert.Single(To<RunJoinRejected>(s.Handle(Bn, new JoinRun(1, Fingerprint)), Bn)).Reason);
    }

    [Fact]
    public void A_server_built_from_a_checkpoint_resumes_every_slot_at_its_chunk_with_its_h_and_continues_the_update_count()
    {
        var checkpoint = new ServerCheckpoint(100, 104, [1f, 2f, 3f], null, [50, 60], [[0.25f], [0.75f]]);
        var s = new ClusterServerState(new ClusterRunSettings(new ServerSettings(ConsistencyMode.Async, Model, maxUpdates: 5, startQuorum: 2),
            Fingerprint, 2, B, checkpointEvery: 0), new float[P], OptimizerUpdateRule.Sgd(Lr), Port, checkpoint);

        var slots = Bring(s, A, 2);

        Assert.Equal([50L, 60L], slots.Select(a => a.NextChunk));
        Assert.Equal([0.25f], slots[0].Hidden);
        Assert.Equal([0.75f], slots[1].Hidden);
        var registered = To<WorkerRegistered>(RegisterAll(s, (A, slots[0]), (A, slots[1])), A);
        Assert.Equal(2, registered.Count);
        Assert.All(registered, r => { Assert.Equal(104L, r.Version); Assert.Equal([1f, 2f, 3f], r.Weights); });
        Assert.Empty(s.Handle(A, new SlotPush(slots[0].Assignment, Push(0, 104, 0, 1f, 0.5f)))); // a chunk before the checkpoint: already applied
        var update = Assert.Single(To<UpdateApplied>(s.Handle(A, new SlotPush(slots[0].Assignment, Push(0, 104, 50, 1f, 0.5f))), null));
        Assert.Equal((101L, 105L), (update.UpdateNumber, update.Version));
        Assert.Equal(101, s.Checkpoint().Updates);
    }

    [Fact]
    public void A_resumed_server_is_the_next_epoch_and_refuses_a_connection_made_for_an_older_one()
    {
        var checkpoint = new ServerCheckpoint(100, 104, [1f, 2f, 3f], null, [50], [[0.25f]], Epoch: 3);
        var s = new ClusterServerState(new ClusterRunSettings(new ServerSettings(ConsistencyMode.Sync, Model, maxUpdates: 5),
            Fingerprint, 1, B, checkpointEvery: 0), new float[P], OptimizerUpdateRule.Sgd(Lr), Port, checkpoint);
        Assert.Equal(4, s.Epoch);

        Assert.Equal(new RunJoined(1, Port, 4), Assert.Single(s.Handle(A, new JoinRun(1, Fingerprint))).Message);
        var old = s.Handle(A, new NodeConnected(3));

        Assert.Contains("epoch 3, this server is epoch 4", Assert.Single(To<CloseChannel>(old, A)).Reason);
        Assert.Null(s.HostOf(0));
        Assert.Single(To<SlotAssigned>(s.Handle(A, new NodeConnected(4)), A));
        Assert.Equal(4, s.Checkpoint().Epoch);
    }

    [Fact]
    public void A_node_whose_connection_broke_without_a_goodbye_is_downed_in_the_cluster_one_that_left_or_became_unreachable_is_not()
    {
        var s = State(ConsistencyMode.Sync, 2);
        BringTwo(s);

        var broke = s.Handle(A, new NodeDropped("its tensor channel broke (connection reset)", ConnectionBroke: true));
        Assert.Single(To<DownMember>(broke, A)); // a dead process: nodes replacing it need not wait for the resolver
        Assert.Single(To<SlotAssigned>(broke, Bn));

        var unreachable = s.Handle(Bn, new NodeDropped("it became unreachable"));
        Assert.Empty(To<DownMember>(unreachable, Bn)); // maybe alive (frozen, partitioned): the resolver decides
    }
}
