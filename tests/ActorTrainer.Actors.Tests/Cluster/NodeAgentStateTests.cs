using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Worker;

namespace ActorTrainer.Actors.Tests.Cluster;

/// <summary>A worker node's agent rules — join, hosting by assignment, relaying in order, the end — on the
/// plain state class (no ActorSystem).</summary>
public sealed class NodeAgentStateTests
{
    private static SlotAssigned Slot(int slot, long assignment, long next = 0, params float[] h) => new(slot, assignment, slot, 1, next, h);

    private static NodeAgentState Joined()
    {
        var s = new NodeAgentState();
        s.Handle(new RunJoined(3, 4054));
        s.Handle(new ChannelWelcomed());
        return s;
    }

    private static PushGradient Push(int slot, long chunk) => new(slot, 0, chunk, [1f], 1f, 1, false, 5) { Hidden = [0.5f] };

    [Fact]
    public void Joining_opens_the_connection_once()
    {
        var s = new NodeAgentState();

        Assert.Equal([new OpenChannel(4054, Epoch: 2)], s.Handle(new RunJoined(3, 4054, Epoch: 2)));
        Assert.Empty(s.Handle(new RunJoined(3, 4054))); // the answer to a retry
        Assert.Equal(3, s.TotalSlots);
    }

    [Fact]
    public void A_hosted_slots_worker_messages_go_to_the_server_tagged_with_its_assignment()
    {
        var s = Joined();
        var assigned = Slot(2, 17, next: 40, 0.25f);
        Assert.Equal([new StartWorker(assigned)], s.Handle(assigned));

        Assert.Equal([new ToServer(new RegisterSlotWorker(2, 17))], s.FromWorker(2, new RegisterWorker(2, new ModelFingerprint(1, "m"))));
        var push = Push(2, 40);
        Assert.Equal([new ToServer(new SlotPush(17, push))], s.FromWorker(2, push));
        var skipped = new NonFiniteGradientSkipped(2, 0, 41, float.NaN, double.NaN);
        Assert.Equal([new ToServer(new SlotSkipped(17, skipped))], s.FromWorker(2, skipped));
    }

    [Fact]
    public void A_revoked_slot_stops_its_worker_and_sends_nothing_more_but_an_older_revocation_leaves_a_newer_hosting_alone()
    {
        var s = Joined();
        s.Handle(Slot(0, 5));
        s.Handle(Slot(1, 6));

        Assert.Equal([new StopWorker(0)], s.Handle(new SlotRevoked(0, 5, "moved")));
        Assert.Empty(s.FromWorker(0, Push(0, 3)));
        Assert.Empty(s.Handle(new GradientApplied(0, 2, 0, 1, 0)));

        var again = Slot(1, 9, 4);
        Assert.Equal([new StopWorker(1), new StartWorker(again)], s.Handle(again)); // a new hosting replaces the old
        Assert.Empty(s.Handle(new SlotRevoked(1, 6, "stale")));
        Assert.Equal([1], s.Hosted.Keys);
    }

    [Fact]
    public void Answers_reach_the_slots_worker_in_the_order_they_arrived_and_weights_reach_every_worker()
    {
        var s = Joined();
        s.Handle(Slot(0, 1));
        s.Handle(Slot(2, 2));
        var w = new WeightsPublished(3, 3, [1f]);
        var arrived = new ITrainerMessage[]
        {
            new GradientApplied(0, 4, 2, 3, 1),
            new GradientRejected(0, 5, 2, RejectionReason.WrongLength, "bad", 3),
            w,
            new GradientApplied(0, 6, 3, 4, 0),
        };

        var delivered = arrived.SelectMany(s.Handle).ToList();

        Assert.Equal(
            [new ToWorker(0, arrived[0]), new ToWorker(0, arrived[1]), new ToWorker(0, w), new ToWorker(2, w), new ToWorker(0, arrived[3])],
            delivered);
    }

    [Fact]
    public void A_server_actor_seen_gone_while_its_connection_is_open_leaves_the_connection_to_say_how_the_run_ended()
    {
        // a slow link: Akka sees the finished server go before its RunFinished, queued behind weights, arrives
        var finished = Joined();
        finished.Handle(Slot(0, 1));
        Assert.Equal([new AwaitChannel(NodeAgentState.ServerGoneGrace)], finished.Handle(new ServerStopped()));
        Assert.False(finished.Searching);
        finished.Handle(new RunFinished(CompletionReason.ReachedMaxUpdates, "done", 10));
        Assert.Equal(WorkerNodeStatus.Finished, finished.Result!.Status);

        // a server gone without a word on a connection that stays open (its host unreachable): look for another
        var silent = Joined();
        silent.Handle(Slot(0, 1));
        silent.Handle(new ServerStopped());
        Assert.Empty(silent.Handle(new ServerStopped())); // seen twice: one wait
        var search = silent.Handle(new ChannelGraceEnded());
        Assert.Equal([new StopWorker(0), new FindServer("the parameter server stopped before the run finished")], search);

        // a killed server's connection ends at once: the search starts then, and the wait's end changes nothing
        var killed = Joined();
        killed.Handle(new ServerStopped());
        Assert.Contains(killed.Handle(new ChannelEnded("connection reset")), o => o is FindServer);
        Assert.Empty(killed.Handle(new ChannelGraceEnded()));
    }

    [Fact]
    public void The_run_ends_for_the_node_when_the_server_says_so_refuses_it_or_no_server_takes_it_back()
    {
        var finished = Joined();
        finished.Handle(Slot(0, 1));
        var end = finished.Handle(new RunFinished(CompletionReason.ReachedMaxUpdates, "done", 10));
        Assert.Equal([new StopWorker(0), new CompleteNode(finished.Result!)], end);
        Assert.Equal(WorkerNodeStatus.Finished, finished.Result!.Status);
        Assert.Empty(finished.Handle(new ChannelEnded("the run finished"))); // the close that follows changes nothing

        var never = new NodeAgentState();
        never.Handle(new RunJoined(3, 4054));
        never.Handle(new ChannelEnded("epoch 1, this server is epoch 2"));
        Assert.Equal(WorkerNodeStatus.Failed, never.Result!.Status); // the first connection refused: nothing to go back to
        Assert.Contains("refused the tensor channel", never.Result.Detail);

        var broken = Joined();
        broken.Handle(Slot(1, 1));
        broken.Handle(new ChannelEnded("connection reset"));
        Assert.Null(broken.Result); // it looks for a server
        Assert.Empty(broken.Handle(new ServerStopped())); // the old server's actor, seen gone later
        broken.Handle(new ServerSearchTimedOut(TimeSpan.FromSeconds(30)));
        Assert.Equal(WorkerNodeStatus.Failed, broken.Result!.Status);
        Assert.Contains("connection reset", broken.Result.Detail);
        Assert.Contains("no parameter server took this node in within 30 s", broken.Result.Detail);

        var refused = new NodeAgentState();
        refused.Handle(new RunJoinRejected("me", "model mismatch: H=24"));
        Assert.Equal(WorkerNodeStatus.Rejected, refused.Result!.Status);
    }

    [Fact]
    public void A_node_whose_server_dies_stops_its_workers_and_joins_the_standby_that_took_over_at_the_newer_epoch()
    {
        var s = new NodeAgentState();
        s.Handle(new RunJoined(3, 4054, Epoch: 1));
        s.Handle(new ChannelWelcomed());
        s.Handle(Slot(0, 1, next: 10));
        s.Handle(Slot(2, 2, next: 10));

        var lost = s.Handle(new ChannelEnded("connection reset by peer"));

        Assert.Equal([new StopWorker(0), new StopWorker(2), new FindServer("the tensor channel to the parameter server ended: connection reset by peer")], lost);
        Assert.Empty(s.Hosted);
        Assert.True(s.Searching);
        Assert.Empty(s.FromWorker(0, Push(0, 10))); // a stopped worker's last push goes nowhere
        Assert.Empty(s.Handle(new ChannelEnded("closed again"))); // the same loss, reported twice

        // The standby answers as epoch 2: the node opens a connection for that epoch and hosts what it assigns.
        Assert.Equal([new OpenChannel(5054, Epoch: 2)], s.Handle(new RunJoined(3, 5054, Epoch: 2)));
        Assert.False(s.Searching);
        Assert.Equal(2, s.Epoch);
        s.Handle(new ChannelWelcomed());
        var again = Slot(0, 1, next: 8, 0.5f); // the standby's last consistent point: chunk 8, with its h
        Assert.Equal([new StartWorker(again)], s.Handle(again));
    }

    [Fact]
    public void A_node_that_worked_for_a_newer_epoch_ignores_an_older_servers_answer()
    {
        var s = new NodeAgentState();
        s.Handle(new RunJoined(3, 4054, Epoch: 3));
        s.Handle(new ChannelWelcomed());
        s.Handle(new ChannelEnded("connection reset"));

        Assert.Empty(s.Handle(new RunJoined(3, 4000, Epoch: 2))); // fenced: a server that was replaced
        Assert.True(s.Searching);
        Assert.Equal([new OpenChannel(4054, Epoch: 3)], s.Handle(new RunJoined(3, 4054, Epoch: 3))); // the same server taking it back
    }

    [Fact]
    public void A_server_of_another_run_is_not_joined_after_a_loss()
    {
        var s = Joined();
        s.Handle(new ChannelEnded("connection reset"));

        s.Handle(new RunJoined(4, 4054, Epoch: 2));

        Assert.Equal(WorkerNodeStatus.Failed, s.Result!.Status);
        Assert.Contains("another run", s.Result.Detail);
    }
}
