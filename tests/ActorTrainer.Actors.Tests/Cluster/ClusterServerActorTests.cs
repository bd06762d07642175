using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;
using System.Collections.Concurrent;
using ActorTrainer.Actors.TensorChannel;
using Akka.Actor;
using Akka.TestKit;
using Akka.Configuration;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Cluster;

/// <summary>
/// The cluster parameter server in one cluster-provider actor system (no other node): a TestProbe plays
/// the worker node's agent for the join, a raw tensor connection plays the node's connection.
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

    private sealed record Node(TestProbe Agent, TensorConnection Connection, BlockingCollection<ChannelFrame> Frames, SlotAssigned Slot);

    /// <summary>Starts the server on a bound listener; a probe joins as a node's agent over Akka, then the
    /// node's one connection is opened and says Hello; returns the node with its one slot.</summary>
    private async Task<(IActorRef Server, Node Node)> StartAsync(ClusterRunSettings settings, OptimizerUpdateRule rule, IActorRef observer)
    {
        var listener = TensorChannelListener.Bind("127.0.0.1", 0);
        var server = Sys.ActorOf(ClusterServerActor.Props(settings, new float[P], rule, observer, listener, hiddenPerSlot: 2));
        var agent = CreateTestProbe();
        agent.Send(server, new JoinRun(1, Fingerprint));
        var joined = agent.ExpectMsg<RunJoined>();
        var frames = new BlockingCollection<ChannelFrame>();
        var connection = await TensorConnection.ConnectAsync("127.0.0.1", joined.TensorPort, Patience, maxFloats: P, (_, f) => frames.Add(f), (_, _) => { });
        connection.Start();
        connection.Send(new HelloFrame(agent.Ref.Path.Address.ToString()));
        Assert.IsType<WelcomeFrame>(Next(frames));
        var slot = Assert.IsType<SlotAssigned>(Assert.IsType<MessageFrame>(Next(frames)).Message);
        return (server, new Node(agent, connection, frames, slot));
    }

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static ChannelFrame Next(BlockingCollection<ChannelFrame> frames) =>
        frames.TryTake(out var f, Patience) ? f : throw new TimeoutException("no frame from the server");

    private static void Send(Node node, ITrainerMessage m) => node.Connection.Send(new MessageFrame(m));

    private static PushGradient Push(long version, long chunk, float g) =>
        new(0, version, chunk, Enumerable.Repeat(g, P).ToArray(), 1f, 1, false, 5) { Hidden = [0.5f, -0.5f] };

    [Fact]
    public async Task A_rejected_push_is_answered_on_the_nodes_one_connection_in_order_with_the_accepted_ones()
    {
        var settings = new ClusterRunSettings(new ServerSettings(ConsistencyMode.Async, Model, maxUpdates: 100), Fingerprint, slots: 1, streamsPerSlot: 1, checkpointEvery: 0);
        var (_, node) = await StartAsync(settings, OptimizerUpdateRule.Sgd(0.1f), CreateTestProbe().Ref);
        Send(node, new RegisterSlotWorker(0, node.Slot.Assignment));
        Assert.IsType<WorkerRegistered>(Assert.IsType<MessageFrame>(Next(node.Frames)).Message);

        Send(node, new SlotPush(node.Slot.Assignment, Push(0, 0, 1f)));
        Send(node, new SlotPush(node.Slot.Assignment, Push(1, 1, float.NaN))); // refused: not finite
        Send(node, new SlotPush(node.Slot.Assignment, Push(1, 2, 1f)));

        var answers = new List<(string, long)>();
        while (answers.Count < 3)
        {
            switch (Assert.IsType<MessageFrame>(Next(node.Frames)).Message)
            {
                case GradientApplied a: answers.Add(("applied", a.ChunkId)); break;
                case GradientRejected r: answers.Add(($"rejected {r.Reason}", r.ChunkId)); break;
                case WeightsPublished: break;
                case var other: Assert.Fail($"unexpected {other.GetType().Name}"); break;
            }
        }
        Assert.Equal([("applied", 0L), ("rejected NonFinite", 1L), ("applied", 2L)], answers);
        node.Agent.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // nothing for the node over Akka after the join
        node.Connection.Dispose();
    }

    [Fact]
    public async Task A_server_that_throws_fails_the_run_and_stops_instead_of_restarting_empty()
    {
        var settings = new ClusterRunSettings(new ServerSettings(ConsistencyMode.Sync, Model, maxUpdates: 10), Fingerprint, slots: 1, streamsPerSlot: 1, checkpointEvery: 0);
        var completion = new TaskCompletionSource<TrainingResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var observer = Sys.ActorOf(ClusterRunObserver.Props(new TrainingCallbacks(), _ => { }, completion));
        var (server, node) = await StartAsync(settings, new OptimizerUpdateRule(new FailingOptimizer()), observer);
        node.Agent.Watch(server);
        Send(node, new RegisterSlotWorker(0, node.Slot.Assignment));
        Assert.Equal(0L, Assert.IsType<WorkerRegistered>(Assert.IsType<MessageFrame>(Next(node.Frames)).Message).Version);

        Send(node, new SlotPush(node.Slot.Assignment, Push(0, 0, 1f))); // the update throws

        node.Agent.ExpectTerminated(server, Patience); // stopped, not restarted with W at version 0 and no nodes
        var error = await Assert.ThrowsAsync<ServerFailedException>(() => completion.Task.WaitAsync(Patience));
        Assert.Contains("InvalidOperationException while handling SlotPush: boom", error.Message);
        node.Connection.Dispose();
    }
}
