using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Tests.Fakes;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Training;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Worker;

/// <summary>The worker actor against a probe standing in for the server (serialize-messages on).</summary>
public sealed class WorkerActorTests : TestKit
{
    public WorkerActorTests() : base(TestHocon.Config) { }

    [Fact]
    public void Worker_registers_then_pushes_one_gradient_per_sync_round_computed_off_the_thread_pool()
    {
        var server = CreateTestProbe();
        var computer = new FakeGradientComputer([0f, 0f]);
        var props = WorkerActor.Props(2, server, computer, new WorkerSettings(ConsistencyMode.Sync, "shape"));
        Assert.Equal(TrainerHocon.ComputeDispatcherId, props.Dispatcher);
        var worker = Sys.ActorOf(props);

        Assert.Equal(new RegisterWorker(2, new ModelFingerprint(2, "shape")), server.ExpectMsg<RegisterWorker>());
        server.Reply(new WorkerRegistered(2, 0, [3f, 4f]));
        var first = server.ExpectMsg<PushGradient>();
        Assert.Equal((2, 0L, 0L), (first.WorkerId, first.BaseVersion, first.ChunkId));
        Assert.Equal([3f, 4f], first.Gradient);

        // what the server sends when the round closes: the new weights, then the ack
        worker.Tell(new WeightsPublished(1, 1, [1f, 1f]), server);
        worker.Tell(new GradientApplied(2, 0, 0, 1, 0), server);
        var second = server.ExpectMsg<PushGradient>();
        Assert.Equal((1L, 1L), (second.BaseVersion, second.ChunkId));

        Assert.Equal([3f, 1f], computer.FirstWeightSeen);
        Assert.All(computer.RanOnThreadPool, Assert.False); // the pinned compute dispatcher's own thread
    }

    [Fact]
    public void Worker_stops_when_the_server_dies()
    {
        var server = CreateTestProbe();
        var worker = Sys.ActorOf(WorkerActor.Props(0, server, new FakeGradientComputer([0f]), new WorkerSettings(ConsistencyMode.Async, "")));
        server.ExpectMsg<RegisterWorker>();
        Watch(worker);
        Sys.Stop(server.Ref);
        ExpectTerminated(worker);
    }

    [Fact]
    public void Worker_stops_when_its_registration_is_refused()
    {
        var server = CreateTestProbe();
        var worker = Sys.ActorOf(WorkerActor.Props(0, server, new FakeGradientComputer([0f]), new WorkerSettings(ConsistencyMode.Async, "")));
        server.ExpectMsg<RegisterWorker>();
        Watch(worker);
        server.Reply(new RegistrationRejected(0, "model mismatch"));
        ExpectTerminated(worker);
    }
}
