using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.Cluster;

/// <summary>The standby parameter server's rules — who is active, when to take over, which epoch, from
/// where — and how a takeover looks to a worker node and to the new server, on plain state classes.</summary>
public sealed class StandbyStateTests
{
    private const string Dead = "akka.tcp://actortrainer@127.0.0.1:4053";
    private static readonly LeaseRecord Active = new(Epoch: 1, Dead);

    [Fact]
    public void A_standby_waits_while_the_active_server_holds_the_lease()
    {
        var s = new StandbyState();

        Assert.IsType<KeepWaiting>(s.Handle(new LeaseProbe(Acquired: false, Active, null, 0, 500)));
        Assert.IsType<KeepWaiting>(s.Handle(new LeaseProbe(Acquired: false, null, null, 0, 500)));
        Assert.Null(s.Decision);
    }

    [Fact]
    public void A_lease_freed_by_a_dead_server_is_taken_over_from_the_last_checkpoint_as_the_next_epoch_downing_the_dead_member()
    {
        var s = new StandbyState();

        var d = s.Handle(new LeaseProbe(Acquired: true, Active, CheckpointUpdates: 300, CheckpointEpoch: 1, TargetUpdates: 500));

        Assert.Equal(new TakeOver(Epoch: 2, FromUpdate: 300, Down: Dead), d);
        Assert.Throws<InvalidOperationException>(() => s.Handle(new LeaseProbe(true, Active, 300, 1, 500))); // decided once
    }

    [Fact]
    public void A_server_that_died_before_its_first_checkpoint_is_taken_over_from_the_runs_start()
    {
        Assert.Equal(new TakeOver(2, 0, Dead), new StandbyState().Handle(new LeaseProbe(true, Active, null, 0, 500)));
    }

    [Fact]
    public void The_new_epoch_is_newer_than_both_the_checkpoints_and_the_dead_holders()
    {
        // Epoch 4 took over from a checkpoint of epoch 2 and died before writing its own: the next is 5,
        // not 3 — nodes that worked for epoch 4 would refuse an epoch 3 as older.
        var d = new StandbyState().Handle(new LeaseProbe(true, new LeaseRecord(4, Dead), CheckpointUpdates: 200, CheckpointEpoch: 2, 500));
        Assert.Equal(5, Assert.IsType<TakeOver>(d).Epoch);

        var noRecord = new StandbyState().Handle(new LeaseProbe(true, null, 200, CheckpointEpoch: 2, 500));
        Assert.Equal(new TakeOver(3, 200, null), noRecord);
    }

    [Fact]
    public void A_run_ended_on_purpose_or_complete_is_not_taken_over()
    {
        var stopped = new StandbyState().Handle(new LeaseProbe(true, Active with { Ended = "stopped by request" }, 120, 1, 500));
        Assert.Contains("ended the run: stopped by request", Assert.IsType<StandDown>(stopped).Reason);

        var complete = new StandbyState().Handle(new LeaseProbe(true, Active, CheckpointUpdates: 500, 1, TargetUpdates: 500));
        Assert.Contains("complete", Assert.IsType<StandDown>(complete).Reason);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("finished after 500 updates")]
    public void A_lease_record_reads_back_as_written(string? ended)
    {
        var r = new LeaseRecord(7, Dead, ended);
        Assert.Equal(r, LeaseRecord.Parse(r.Format()));
        Assert.Null(LeaseRecord.Parse(""));
        Assert.Null(LeaseRecord.Parse("epoch=x address=y"));
    }

    [Fact]
    public void After_a_takeover_the_old_epochs_connections_are_refused_and_the_nodes_resume_at_the_checkpoint_with_h()
    {
        // The new server continues the checkpoint of epoch 1 as epoch 2 (what TakeOver says).
        var model = new ModelFingerprint(3, "m");
        var fingerprint = new RunFingerprint(model, "ab", 100, StreamsPerWorker: 1, ChunkLength: 5, Training: "sgd", MaxFrameSize: 128_000);
        var checkpoint = new ServerCheckpoint(300, 300, [1f, 2f, 3f], null, [300], [[0.25f]], Epoch: 1);
        var server = new ClusterServerState(new ClusterRunSettings(new ServerSettings(ConsistencyMode.Sync, model, maxUpdates: 200),
            fingerprint, 1, 1, checkpointEvery: 0), new float[3], OptimizerUpdateRule.Sgd(0.5f), 4054, checkpoint);
        Assert.Equal(2, server.Epoch);

        // A worker node that lost the dead server asks again and is answered as epoch 2.
        var agent = new NodeAgentState();
        agent.Handle(new RunJoined(1, 4054, Epoch: 1));
        agent.Handle(new ChannelWelcomed());
        agent.Handle(new SlotAssigned(0, 1, 0, 1, 310, [0.5f]));
        agent.Handle(new ChannelEnded("connection reset by peer"));
        var joined = Assert.Single(server.Handle(Dead.Replace("4053", "4100"), new JoinRun(1, fingerprint))).Message;
        Assert.Equal([new OpenChannel(4054, 2)], agent.Handle(joined));

        // A connection made for epoch 1 (a node that still believes in the dead server) is refused.
        var stale = server.Handle(Dead.Replace("4053", "4100"), new NodeConnected(1));
        Assert.IsType<CloseChannel>(Assert.Single(stale, o => o.Node is not null).Message); // to the node
        Assert.IsType<ConnectionRefused>(Assert.Single(stale, o => o.Node is null).Message); // and the observer is told

        // The one made for epoch 2 gets the slot at the checkpoint's chunk with its h: chunks 300…309,
        // which the dead server had applied after its checkpoint, are computed again.
        var assigned = server.Handle(Dead.Replace("4053", "4100"), new NodeConnected(2)).Select(o => o.Message).OfType<SlotAssigned>().Single();
        Assert.Equal(300L, assigned.NextChunk);
        Assert.Equal([0.25f], assigned.Hidden);
        Assert.Equal([new StartWorker(assigned)], agent.Handle(assigned));
    }
}
