using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Training;
using Akka.Actor;
using Akka.Cluster;

namespace ActorTrainer.Actors.Cluster;

/// <summary>
/// Makes the gradient computer of slot <paramref name="slot"/> of a run with
/// <paramref name="totalSlots"/> slots (streams [slot·B, (slot+1)·B) of a layout over totalSlots·B
/// streams), positioned at its first chunk with h = 0.
/// </summary>
public delegate IGradientComputer SlotComputerFactory(int totalSlots, int slot);

/// <summary>
/// A worker node's one contact with the run: a shell over <see cref="NodeAgentState"/>. It joins by asking
/// the server actor of every ps node of the cluster (<see cref="ClusterNode.ServerPath"/>; only the active
/// one exists, a standby has none until it takes over), retrying until one answers, opens the node's one
/// tensor connection, and then does what the state says: start and stop one
/// <see cref="WorkerActor"/> per hosted slot (each talks to this agent as its server), relay the
/// workers' messages onto the connection and the server's onto the workers. The connection's reader
/// thread hands every frame to this mailbox, so the workers see the server's messages in the order
/// they were sent. A failing worker is stopped, not restarted (it would lose its place in the data),
/// and ends the node's part. Completes <see cref="WorkerNodeResult"/> when the run ends for this node.
/// </summary>
public sealed class NodeAgentActor : ReceiveActor, IWithTimers
{
    private sealed record RetryJoin;

    private const string JoinTimer = "join", SearchTimer = "search", GraceTimer = "grace";

    private readonly NodeAgentState _state = new();
    private readonly int _capacity;
    private readonly RunFingerprint _fingerprint;
    private readonly string _nodeName = Security.ChannelSecurity.Of(Context.System)?.Credentials.NodeName ?? ""; // the certificate's: what the connection will prove
    private readonly WorkerSettings _workerSettings;
    private readonly SlotComputerFactory _computers;
    private readonly TaskCompletionSource<WorkerNodeResult> _completion;
    private readonly TimeSpan _retryInterval;
    private readonly TimeSpan _searchTimeout;
    private readonly int _maxFloats;
    private readonly Dictionary<int, IActorRef> _workers = new();   // slot → its worker
    private readonly Dictionary<IActorRef, int> _slotOf = new();    // and back
    private readonly Dictionary<IActorRef, string> _failures = new();
    private IActorRef? _server;
    private TensorConnection? _channel;
    private string _channelAddress = "";
    private long _epoch;
    private int _generation;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="hiddenPerSlot">B×H: with P, bounds the tensors a frame from the server may carry.</param>
    /// <param name="searchTimeout">How long a node whose server went away looks for one (a standby taking over) before it gives up.</param>
    /// <param name="retryInterval">How often an unanswered join is asked again.</param>
    public static Props Props(
        int capacity, RunFingerprint fingerprint, WorkerSettings workerSettings, SlotComputerFactory computers,
        TaskCompletionSource<WorkerNodeResult> completion, int hiddenPerSlot, TimeSpan searchTimeout, TimeSpan? retryInterval = null) =>
        Akka.Actor.Props.Create(() => new NodeAgentActor(
            capacity, fingerprint, workerSettings, computers, completion, hiddenPerSlot, searchTimeout, retryInterval ?? TimeSpan.FromMilliseconds(500)));

    public NodeAgentActor(
        int capacity, RunFingerprint fingerprint, WorkerSettings workerSettings, SlotComputerFactory computers,
        TaskCompletionSource<WorkerNodeResult> completion, int hiddenPerSlot, TimeSpan searchTimeout, TimeSpan retryInterval)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a node must offer at least one worker");
        _capacity = capacity; _fingerprint = fingerprint; _workerSettings = workerSettings;
        _computers = computers; _completion = completion; _retryInterval = retryInterval; _searchTimeout = searchTimeout;
        _maxFloats = Math.Max(fingerprint.Model.ParameterCount, hiddenPerSlot);
        Receive<RetryJoin>(_ => AskServers());
        Receive<ServerSearchTimedOut>(m => Do(_state.Handle(m)));
        Receive<ChannelGraceEnded>(m => Do(_state.Handle(m)));
        Receive<RunJoined>(m =>
        {
            var outbox = _state.Handle(m);
            if (outbox.Any(o => o is OpenChannel))
            {
                // This server took the node in: it is the one to watch and to connect to.
                Timers.Cancel(JoinTimer);
                Timers.Cancel(SearchTimer);
                if (_server is not null) Context.Unwatch(_server);
                _server = Sender;
                Context.Watch(_server);
            }
            Do(outbox);
        });
        Receive<RunJoinRejected>(m => Do(_state.Handle(m)));
        Receive<TensorChannelConnected>(Handle);
        Receive<Status.Failure>(m => Do(_state.Handle(new ChannelEnded(
            $"could not open it at {_channelAddress}: {m.Cause.GetBaseException().Message}. " +
            "Is that port reachable from this node? (the ps node's actortrainer.node.tensor-port)"))));
        Receive<TensorChannelWelcomed>(m => { if (ReferenceEquals(m.Connection, _channel)) Do(_state.Handle(new ChannelWelcomed())); });
        Receive<TensorChannelReceived>(m => { if (ReferenceEquals(m.Connection, _channel)) Do(_state.Handle(m.Message)); });
        Receive<TensorChannelEnded>(m =>
        {
            if (!ReferenceEquals(m.Connection, _channel)) return;
            _channel = null;
            Do(_state.Handle(new ChannelEnded(m.Closed.Reason)));
        });
        Receive<RegisterWorker>(FromWorker);
        Receive<PushGradient>(FromWorker);
        Receive<NonFiniteGradientSkipped>(FromWorker);
        Receive<Terminated>(Handle);
    }

    protected override void PreStart()
    {
        AskServers();
        Timers.StartPeriodicTimer(JoinTimer, new RetryJoin(), _retryInterval);
    }

    /// <summary>Asks the server actor of every ps node the cluster knows; only an active server exists to answer.</summary>
    private void AskServers()
    {
        var join = new JoinRun(_capacity, _fingerprint, _nodeName);
        foreach (var member in Akka.Cluster.Cluster.Get(Context.System).State.Members)
            if (member.HasRole(ClusterNode.PsRole) && member.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
                Context.ActorSelection(new RootActorPath(member.Address) / "user" / ClusterNode.ServerName).Tell(join, Self);
    }

    protected override void PostStop()
    {
        _channel?.Close("the worker node's agent stopped");
        _completion.TrySetResult(new WorkerNodeResult(WorkerNodeStatus.Failed, _state.Lost is { } lost
            ? $"{lost}; this node stopped (downed by the split-brain resolver, or shut down) before a parameter server took it back"
            : "the node's agent stopped before the run finished"));
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(ex =>
    {
        _failures[Sender] = $"{ex.GetType().Name}: {ex.Message}";
        return Directive.Stop;
    });

    private void FromWorker(ITrainerMessage m)
    {
        if (_slotOf.TryGetValue(Sender, out int slot)) Do(_state.FromWorker(slot, m));
    }

    private void Handle(TensorChannelConnected m)
    {
        if (_state.Result is not null) { m.Connection.Dispose(); return; }
        _channel = m.Connection;
        _channel.Start();
        _channel.Send(new HelloFrame(Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString(), _epoch));
    }

    private void Handle(Terminated t)
    {
        if (t.ActorRef.Equals(_server))
        {
            Do(_state.Handle(new ServerStopped()));
            return;
        }
        if (!_slotOf.Remove(t.ActorRef, out int slot)) return;
        _workers.Remove(slot);
        string why = _failures.TryGetValue(t.ActorRef, out var f) ? f : "it stopped (registration refused or training over)";
        Do(_state.Handle(new WorkerFailed(slot, why)));
    }

    /// <summary>Does what the state says, in order.</summary>
    private void Do(IReadOnlyList<AgentOutgoing> outbox)
    {
        foreach (var action in outbox)
        {
            switch (action)
            {
                case OpenChannel open:
                    _epoch = open.Epoch;
                    Open(open.Port);
                    break;
                case ToServer m: _channel?.Send(new MessageFrame(m.Message)); break; // false: it broke, and that is reported
                case ToWorker m: if (_workers.TryGetValue(m.Slot, out var worker)) worker.Tell(m.Message, Self); break;
                case StartWorker m: Start(m.Slot); break;
                case StopWorker m: Stop(m.Slot); break;
                case FindServer:
                    // The server is gone: forget it and its connection, and ask every ps node until one takes the node in.
                    _channel?.Close("the parameter server went away");
                    _channel = null;
                    if (_server is not null) Context.Unwatch(_server);
                    _server = null;
                    AskServers();
                    Timers.StartPeriodicTimer(JoinTimer, new RetryJoin(), _retryInterval);
                    Timers.StartSingleTimer(SearchTimer, new ServerSearchTimedOut(_searchTimeout), _searchTimeout);
                    break;
                case AwaitChannel m:
                    Timers.StartSingleTimer(GraceTimer, new ChannelGraceEnded(), m.Grace);
                    break;
                case CompleteNode m:
                    _completion.TrySetResult(m.Result);
                    Context.Stop(Self);
                    break;
            }
        }
    }

    private void Open(int port)
    {
        string host = _server?.Path.Address.Host ?? "localhost";
        _channelAddress = $"{host}:{port}";
        var self = Self;
        TensorConnection.ConnectAsync(host, port, TimeSpan.FromSeconds(10), _maxFloats,
                onFrame: (c, frame) => self.Tell(frame switch
                {
                    WelcomeFrame => new TensorChannelWelcomed(c),
                    MessageFrame m => new TensorChannelReceived(c, m.Message),
                    _ => throw new ChannelProtocolException($"unexpected {frame.GetType().Name} from the parameter server"),
                }),
                onClosed: (c, closed) => self.Tell(new TensorChannelEnded(c, closed)),
                security: Security.ChannelSecurity.Of(Context.System))
            .PipeTo(self, success: c => new TensorChannelConnected(c));
    }

    private void Start(SlotAssigned m)
    {
        var computer = _computers(_state.TotalSlots, m.Slot);
        int hidden = computer.Snapshot().Hidden.Length;
        if (m.NextChunk > 0 || m.Hidden.Length > 0)
            computer.Restore(new WorkerSnapshot(m.FirstStream, m.StreamCount, m.NextChunk, m.Hidden.Length > 0 ? m.Hidden : new float[hidden]));
        var worker = Context.ActorOf(WorkerActor.Props(m.Slot, Self, computer, _workerSettings), $"slot-{m.Slot}-{++_generation}");
        Context.Watch(worker);
        _workers[m.Slot] = worker;
        _slotOf[worker] = m.Slot;
    }

    private void Stop(int slot)
    {
        if (!_workers.Remove(slot, out var worker)) return;
        _slotOf.Remove(worker);
        Context.Unwatch(worker);
        Context.Stop(worker);
    }
}
