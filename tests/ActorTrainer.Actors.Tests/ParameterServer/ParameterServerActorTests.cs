using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Training;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.ParameterServer;

/// <summary>The server actor delivers its state's outbox to real actor refs (serialize-messages on).</summary>
public sealed class ParameterServerActorTests : TestKit
{
    private const int P = 3;
    private static readonly ModelFingerprint Fp = new(P, "shape");

    public ParameterServerActorTests() : base(TestHocon.Config) { }

    private (IActorRef Server, TestProbe Observer) Server(ConsistencyMode mode, int quorum)
    {
        var observer = CreateTestProbe();
        var settings = new ServerSettings(mode, Fp, maxUpdates: 100, startQuorum: quorum);
        return (Sys.ActorOf(ParameterServerActor.Props(settings, [1f, 2f, 3f], OptimizerUpdateRule.Sgd(1f), observer)), observer);
    }

    private TestProbe Register(IActorRef server, int id)
    {
        var probe = CreateTestProbe();
        probe.Send(server, new RegisterWorker(id, Fp));
        return probe;
    }

    [Fact]
    public void A_registering_worker_gets_the_weights()
    {
        var (server, _) = Server(ConsistencyMode.Async, quorum: 1);
        var worker = Register(server, 0);
        var reg = worker.ExpectMsg<WorkerRegistered>();
        Assert.Equal((0, 0L), (reg.WorkerId, reg.Version));
        Assert.Equal([1f, 2f, 3f], reg.Weights);
    }

    [Fact]
    public void A_push_is_applied_and_published_to_every_worker()
    {
        var (server, observer) = Server(ConsistencyMode.Async, quorum: 2);
        var a = Register(server, 0);
        var b = Register(server, 1);
        a.ExpectMsg<WorkerRegistered>();
        b.ExpectMsg<WorkerRegistered>();

        a.Send(server, new PushGradient(0, 0, 0, [1f, 1f, 1f], 0.5f, 1.7, false, 8));

        var copies = new List<float[]>();
        foreach (var worker in new[] { a, b })
        {
            var published = worker.ExpectMsg<WeightsPublished>();
            Assert.Equal(1, published.Version);
            Assert.Equal([0f, 1f, 2f], published.Weights);
            copies.Add(published.Weights);
        }
        // one array was sent to both; with serialize-messages on each got its own deserialized copy,
        // which shows the test config really routes local messages through the serializers
        Assert.NotSame(copies[0], copies[1]);
        Assert.Equal(1, a.ExpectMsg<GradientApplied>().Version);
        var update = observer.ExpectMsg<UpdateApplied>();
        Assert.Equal([0], update.WorkerIds);
    }

    [Fact]
    public void A_push_from_an_unknown_worker_is_refused_to_its_sender()
    {
        var (server, _) = Server(ConsistencyMode.Async, quorum: 1);
        var stranger = CreateTestProbe();
        stranger.Send(server, new PushGradient(5, 0, 0, [1f, 1f, 1f], 0f, 0, false, 1));
        Assert.Equal(RejectionReason.UnknownWorker, stranger.ExpectMsg<GradientRejected>().Reason);
    }

    [Fact]
    public void A_worker_that_dies_unblocks_the_sync_round()
    {
        var (server, observer) = Server(ConsistencyMode.Sync, quorum: 2);
        var a = Register(server, 0);
        var b = Register(server, 1);
        a.ExpectMsg<WorkerRegistered>();
        b.ExpectMsg<WorkerRegistered>();
        a.Send(server, new PushGradient(0, 0, 0, [1f, 1f, 1f], 0f, 0, false, 1));

        Sys.Stop(b.Ref);

        Assert.Equal(1, observer.FishForMessage<WorkerLeft>(_ => true).WorkerId);
        Assert.Equal([0], observer.ExpectMsg<UpdateApplied>().WorkerIds);
        Assert.Equal(1, a.ExpectMsg<WeightsPublished>().Version);
    }
}

/// <summary>In process without serialize-messages (as `train` runs): the published array itself
/// reaches the workers, under a lease that frees it once every worker released it.</summary>
public sealed class ParameterServerActorSnapshotTests : TestKit
{
    private static readonly ModelFingerprint Fp = new(3, "shape");

    public ParameterServerActorSnapshotTests() : base(Akka.Configuration.ConfigurationFactory
        .ParseString("akka.actor.serialize-messages = off").WithFallback(TestHocon.Config)) { }

    [Fact]
    public void Every_worker_gets_the_same_pooled_array_which_is_reused_only_after_all_of_them_released_it()
    {
        var settings = new ServerSettings(ConsistencyMode.Async, Fp, maxUpdates: 100, startQuorum: 2);
        var server = Sys.ActorOf(ParameterServerActor.Props(settings, [1f, 2f, 3f], OptimizerUpdateRule.Sgd(1f), CreateTestProbe()));
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        a.Send(server, new RegisterWorker(0, Fp));
        b.Send(server, new RegisterWorker(1, Fp));
        a.ExpectMsg<WorkerRegistered>();
        b.ExpectMsg<WorkerRegistered>();

        a.Send(server, new PushGradient(0, 0, 0, [1f, 1f, 1f], 0f, 0, false, 1));
        var first = a.ExpectMsg<WeightsPublished>();
        a.ExpectMsg<GradientApplied>();
        Assert.Same(first.Weights, b.ExpectMsg<WeightsPublished>().Weights);
        Assert.NotNull(first.Lease);

        first.Lease!.Release();                 // worker a is done with it, b is not
        a.Send(server, new PushGradient(0, 1, 1, [1f, 1f, 1f], 0f, 0, false, 1));
        var second = a.ExpectMsg<WeightsPublished>();
        a.ExpectMsg<GradientApplied>();
        b.ExpectMsg<WeightsPublished>();
        Assert.NotSame(first.Weights, second.Weights);
        Assert.Equal([0f, 1f, 2f], first.Weights); // untouched while b holds it

        first.Lease.Release();                  // b too: free
        second.Lease!.Release(); second.Lease.Release();
        a.Send(server, new PushGradient(0, 2, 2, [1f, 1f, 1f], 0f, 0, false, 1));
        var third = a.ExpectMsg<WeightsPublished>();
        Assert.True(ReferenceEquals(third.Weights, first.Weights) || ReferenceEquals(third.Weights, second.Weights));
        Assert.Equal([-2f, -1f, 0f], third.Weights);
    }
}
