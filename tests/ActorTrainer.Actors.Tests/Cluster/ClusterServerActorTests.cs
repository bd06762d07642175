using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Cluster;

/// <summary>
/// The cluster parameter server in one cluster-provider actor system (no other node): a TestProbe plays
/// the worker node's agent and its worker.
/// </summary>
public sealed class ClusterServerActorTests : TestKit
{
    private const int P = 6;
    private static readonly ModelFingerprint Model = new(P, "test-model");
    private static readonly RunFingerprint Fingerprint = new(Model, "ab", 100, StreamsPerWorker: 1, ChunkLength: 5, Training: "sgd", MaxFrameSize: 128_000);

    public ClusterServerActorTests() : base(ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        """).WithFallback(TestHocon.Config)) { }

    /// <summary>An optimizer whose step throws: a bug anywhere on the server's path.</summary>
    private sealed class FailingOptimizer() : Optimizer(0.1f)
    {
        public override string Name => "failing";
        public override IReadOnlyList<string> BufferNames => [];
        protected override void Apply(ReadOnlySpan<float> w, ReadOnlySpan<float> g, OptimizerState s, Span<float> wOut, OptimizerState sOut, long t) =>
            throw new InvalidOperationException("boom");
    }

    [Fact]
    public async Task A_server_that_throws_fails_the_run_and_stops_instead_of_restarting_empty()
    {
        var settings = new ClusterRunSettings(new ServerSettings(ConsistencyMode.Sync, Model, maxUpdates: 10), Fingerprint, slots: 1, streamsPerSlot: 1, checkpointEvery: 0);
        var completion = new TaskCompletionSource<TrainingResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var observer = Sys.ActorOf(ClusterRunObserver.Props(new TrainingCallbacks(), _ => { }, completion));
        var server = Sys.ActorOf(ClusterServerActor.Props(settings, new float[P], new OptimizerUpdateRule(new FailingOptimizer()), observer));
        var agent = CreateTestProbe();
        agent.Watch(server);

        agent.Send(server, new JoinRun(1, Fingerprint));
        agent.ExpectMsg<RunJoined>();
        Assert.Equal(0, agent.ExpectMsg<SlotAssigned>().Slot);
        agent.Send(server, new RegisterWorker(0, Model));
        Assert.Equal(0L, agent.ExpectMsg<WorkerRegistered>().Version);
        agent.Send(server, new PushGradient(0, 0, 0, new float[P], 1f, 1, false, 5)); // the update throws

        agent.ExpectTerminated(server); // stopped, not restarted with W at version 0 and no nodes
        var error = await Assert.ThrowsAsync<ServerFailedException>(() => completion.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("InvalidOperationException while handling PushGradient: boom", error.Message);
    }
}
