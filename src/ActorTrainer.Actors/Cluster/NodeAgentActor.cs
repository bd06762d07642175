using System.Collections.Concurrent;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Serialization;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Training;
using Akka.Actor;

namespace ActorTrainer.Actors.Cluster;

/// <summary>How a worker node's part in a run ended.</summary>
public enum WorkerNodeStatus
{
    /// <summary>The server reported the end of the run.</summary>
    Finished,
    /// <summary>The server refused the node (fingerprint mismatch, run over).</summary>
    Rejected,
    /// <summary>The server disappeared before the end, or a worker failed.</summary>
    Failed,
}

/// <summary>The outcome of a worker node: status and a sentence for the user.</summary>
public sealed record WorkerNodeResult(WorkerNodeStatus Status, string Detail);

/// <summary>
/// Makes the gradient computer of slot <paramref name="slot"/> of a run with
/// <paramref name="totalSlots"/> slots (streams [slot·B, (slot+1)·B) of a layout over totalSlots·B
/// streams), positioned at its first chunk with h = 0.
/// </summary>
public delegate IGradientComputer SlotComputerFactory(int totalSlots, int slot);

/// <summary>
/// A worker node's one contact with the run: joins it through the parameter server's singleton proxy
/// (retrying until the server exists and answers), then hosts one <see cref="WorkerActor"/> per slot
/// the server assigns — a slot that arrives mid-run resumes at the chunk the server says, with h = 0 —
/// and stops it when the slot is revoked. It is the node's relay: new weights arrive here once and are
/// forwarded to every local worker. Completes <see cref="WorkerNodeResult"/> when the run ends for
/// this node. A failing worker is stopped, not restarted (it would lose its place in the data).
///
/// When the server offers a tensor channel (<see cref="RunJoined.TensorPort"/>), the agent opens it
/// before it hosts any worker (slots wait until the server has welcomed the connection): weights
/// then arrive on it and the workers push their gradients onto it. A connection that cannot be
/// opened or breaks ends the node's part as failed (exit code 1); the server drops the node and
/// its slots move, as for a crash.
/// </summary>
public sealed class NodeAgentActor : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    private sealed record RetryJoin;

    private readonly IActorRef _serverProxy;
    private readonly int _capacity;
    private readonly RunFingerprint _fingerprint;
    private readonly WorkerSettings _workerSettings;
    private readonly SlotComputerFactory _computers;
    private readonly TaskCompletionSource<WorkerNodeResult> _completion;
    private readonly TimeSpan _retryInterval;
    // slot → local worker. Written only here; also read by the tensor channel's reader thread, which
    // hands weights and acks straight to the workers (no hop through this actor on the round's path).
    private readonly ConcurrentDictionary<int, IActorRef> _workers = new();
    private readonly Dictionary<IActorRef, string> _failures = new();
    private readonly TensorAssembler _parts = new(); // weights arrive in parts (TensorParts)
    private IActorRef? _server;
    private int _totalSlots;
    private int _generation;
    private TensorConnection? _channel;
    private string _channelAddress = "";
    private bool _ready; // joined, and the tensor channel (if any) is welcomed: slots may be hosted

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    public static Props Props(
        IActorRef serverProxy, int capacity, RunFingerprint fingerprint, WorkerSettings workerSettings,
        SlotComputerFactory computers, TaskCompletionSource<WorkerNodeResult> completion, TimeSpan? retryInterval = null) =>
        Akka.Actor.Props.Create(() => new NodeAgentActor(
            serverProxy, capacity, fingerprint, workerSettings, computers, completion, retryInterval ?? TimeSpan.FromSeconds(2)));

    public NodeAgentActor(
        IActorRef serverProxy, int capacity, RunFingerprint fingerprint, WorkerSettings workerSettings,
        SlotComputerFactory computers, TaskCompletionSource<WorkerNodeResult> completion, TimeSpan retryInterval)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a node must offer at least one worker");
        _serverProxy = serverProxy; _capacity = capacity; _fingerprint = fingerprint; _workerSettings = workerSettings;
        _computers = computers; _completion = completion; _retryInterval = retryInterval;
        Receive<RetryJoin>(_ => _serverProxy.Tell(new JoinRun(_capacity, _fingerprint)));
        Receive<RunJoined>(Handle);
        Receive<RunJoinRejected>(m => Complete(WorkerNodeStatus.Rejected, $"the parameter server rejected this node: {m.Reason}"));
        Receive<SlotAssigned>(Handle);
        Receive<SlotRevoked>(m => { if (_ready) StopWorker(m.Slot); else Stash.Stash(); });
        Receive<TensorChannelConnected>(Handle);
        Receive<Status.Failure>(m => Complete(WorkerNodeStatus.Failed,
            $"could not open the tensor channel to the parameter server at {_channelAddress}: {m.Cause.GetBaseException().Message}. " +
            "Is that port reachable from this node? (the ps node's actortrainer.node.tensor-port)"));
        Receive<TensorChannelWelcomed>(_ =>
        {
            _ready = true;
            Stash.UnstashAll();
        });
        Receive<TensorChannelEnded>(Handle);
        Receive<WeightsPublished>(m => { foreach (var w in _workers.Values) w.Forward(m); });
        Receive<RunFinished>(m => Complete(WorkerNodeStatus.Finished, $"the run finished after {m.Updates} updates ({m.Detail})"));
        Receive<Terminated>(Handle);
    }

    protected override void PreStart()
    {
        _serverProxy.Tell(new JoinRun(_capacity, _fingerprint));
        Timers.StartPeriodicTimer("join", new RetryJoin(), _retryInterval);
    }

    protected override void PostStop()
    {
        _channel?.Close("the worker node's agent stopped");
        _completion.TrySetResult(new WorkerNodeResult(WorkerNodeStatus.Failed, "the node's agent stopped before the run finished"));
    }

    /// <summary>Weights from the server arrive in parts; the whole message is fanned out (locally: no copy).</summary>
    protected override bool AroundReceive(Receive receive, object message) =>
        message is TensorPart part
            ? _parts.Add(Sender, part) is not { } whole || base.AroundReceive(receive, whole)
            : base.AroundReceive(receive, message);

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(ex =>
    {
        _failures[Sender] = $"{ex.GetType().Name}: {ex.Message}";
        return Directive.Stop;
    });

    private void Handle(RunJoined m)
    {
        Timers.Cancel("join");
        if (_server is not null) return; // a reply to a retry
        _server = Sender;
        _totalSlots = m.TotalSlots;
        Context.Watch(_server);
        // From now on the agent and its workers talk to the server directly; the proxy would only
        // go on looking for the singleton (and warn about it) when the ps node leaves at the end.
        _serverProxy.Tell(PoisonPill.Instance);
        if (m.TensorPort <= 0)
        {
            _ready = true;
            return;
        }
        string host = _server.Path.Address.Host ?? "localhost";
        _channelAddress = $"{host}:{m.TensorPort}";
        var self = Self;
        var workers = _workers;
        TensorConnection.ConnectAsync(host, m.TensorPort, TimeSpan.FromSeconds(10), _fingerprint.Model.ParameterCount,
                onFrame: (_, frame) =>
                {
                    switch (frame)
                    {
                        case WelcomeFrame: self.Tell(new TensorChannelWelcomed()); break;
                        case WeightsFrame w: foreach (var worker in workers.Values) worker.Tell(w.Weights); break;
                        case AppliedFrame a: if (workers.TryGetValue(a.Applied.WorkerId, out var to)) to.Tell(a.Applied); break;
                        default: throw new ChannelProtocolException($"unexpected {frame.GetType().Name} from the parameter server");
                    }
                },
                onClosed: (c, closed) => self.Tell(new TensorChannelEnded(c, closed)),
                security: Security.ChannelSecurity.Of(Context.System))
            .PipeTo(self, success: c => new TensorChannelConnected(c));
    }

    private void Handle(TensorChannelConnected m)
    {
        _channel = m.Connection;
        _channel.Start();
        _channel.Send(new HelloFrame(Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString()));
    }

    private void Handle(TensorChannelEnded m)
    {
        if (!ReferenceEquals(m.Connection, _channel)) return;
        _channel = null;
        // Closed in order once welcomed: the run is ending (RunFinished or the server's death follow on Akka).
        if (m.Closed.Orderly && _ready) return;
        Complete(WorkerNodeStatus.Failed, (_ready ? "the tensor channel to the parameter server broke: " : "the parameter server refused the tensor channel: ") +
                                          m.Closed.Reason);
    }

    private void Handle(SlotAssigned m)
    {
        if (_server is null) return; // cannot happen: slots follow RunJoined on the same connection
        if (!_ready)
        {
            Stash.Stash();
            return;
        }
        StopWorker(m.Slot);
        var computer = _computers(_totalSlots, m.Slot);
        if (m.NextChunk > 0)
            computer.Restore(new WorkerSnapshot(m.FirstStream, m.StreamCount, m.NextChunk, new float[computer.Snapshot().Hidden.Length]));
        var sink = _channel is null ? null : new ChannelGradientSink(_channel);
        var worker = Context.ActorOf(WorkerActor.Props(m.Slot, _server, computer, _workerSettings, sink), $"slot-{m.Slot}-{++_generation}");
        Context.Watch(worker);
        _workers[m.Slot] = worker;
    }

    private void StopWorker(int slot)
    {
        if (!_workers.TryRemove(slot, out var worker)) return;
        Context.Unwatch(worker);
        Context.Stop(worker);
    }

    private void Handle(Terminated t)
    {
        if (t.ActorRef.Equals(_server))
        {
            Complete(WorkerNodeStatus.Failed, "the parameter server stopped before the run finished");
            return;
        }
        foreach (var (slot, worker) in _workers)
        {
            if (!worker.Equals(t.ActorRef)) continue;
            _workers.TryRemove(slot, out _);
            string why = _failures.TryGetValue(worker, out var f) ? f : "it stopped (registration refused or training over)";
            Complete(WorkerNodeStatus.Failed, $"the worker of slot {slot} failed: {why}");
            return;
        }
    }

    private void Complete(WorkerNodeStatus status, string detail)
    {
        foreach (int slot in _workers.Keys.ToArray()) StopWorker(slot);
        _completion.TrySetResult(new WorkerNodeResult(status, detail));
        Context.Stop(Self);
    }
}
