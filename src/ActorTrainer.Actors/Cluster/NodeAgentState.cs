using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Worker;

namespace ActorTrainer.Actors.Cluster;

/// <summary>How a worker node's part in a run ended.</summary>
public enum WorkerNodeStatus
{
    /// <summary>The server reported the end of the run.</summary>
    Finished,
    /// <summary>The server refused the node (fingerprint mismatch, run over).</summary>
    Rejected,
    /// <summary>The server disappeared before the end, the connection broke, or a worker failed.</summary>
    Failed,
}

/// <summary>The outcome of a worker node: status and a sentence for the user.</summary>
public sealed record WorkerNodeResult(WorkerNodeStatus Status, string Detail);

/// <summary>
/// A worker node's agent, without Akka: which slots the node hosts under which assignment, and the
/// relay between its workers and the server's one connection. <see cref="Handle"/> returns what to do,
/// in order; <see cref="NodeAgentActor"/> only does it. Not thread-safe.
///
/// Rules:
/// - the node joins (<see cref="JoinRun"/>, answered over Akka.Remote), then opens its tensor connection;
///   every message after that, both ways, goes on it;
/// - a slot is hosted from <see cref="SlotAssigned"/> (a worker starts at its chunk with its h) until the
///   <see cref="SlotRevoked"/> of the same assignment; a later assignment of the slot replaces it;
/// - what a hosted slot's worker sends goes to the server tagged with the slot's assignment; answers for
///   a slot go to its worker, weights to every worker in slot order, all in the order they arrived;
/// - the run ends for the node when the server says so, refuses it, or the connection or a worker fails.
/// </summary>
public sealed class NodeAgentState
{
    private readonly SortedDictionary<int, long> _hosted = new(); // slot → assignment
    private bool _joined, _welcomed;

    /// <summary>G, known once joined.</summary>
    public int TotalSlots { get; private set; }
    public WorkerNodeResult? Result { get; private set; }
    /// <summary>Slots hosted now, ascending, with their assignments.</summary>
    public IReadOnlyDictionary<int, long> Hosted => _hosted;

    /// <summary>A message from the server (over Akka.Remote for the join's answer, else on the connection)
    /// or a local event (<see cref="ChannelWelcomed"/>, <see cref="ChannelEnded"/>, <see cref="ServerStopped"/>,
    /// <see cref="WorkerFailed"/>).</summary>
    public IReadOnlyList<AgentOutgoing> Handle(ITrainerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var outbox = new List<AgentOutgoing>();
        if (Result is not null) return outbox; // the node's part is over: nothing more happens
        switch (message)
        {
            case RunJoined m when !_joined:
                _joined = true;
                TotalSlots = m.TotalSlots;
                outbox.Add(new OpenChannel(m.TensorPort, m.Epoch));
                break;
            case RunJoined:
                break; // the answer to a retry
            case RunJoinRejected m:
                Complete(WorkerNodeStatus.Rejected, $"the parameter server rejected this node: {m.Reason}", outbox);
                break;
            case ChannelWelcomed:
                _welcomed = true;
                break;
            case SlotAssigned m:
                if (_hosted.ContainsKey(m.Slot)) outbox.Add(new StopWorker(m.Slot));
                _hosted[m.Slot] = m.Assignment;
                outbox.Add(new StartWorker(m));
                break;
            case SlotRevoked m:
                if (_hosted.TryGetValue(m.Slot, out long a) && a == m.Assignment)
                {
                    _hosted.Remove(m.Slot);
                    outbox.Add(new StopWorker(m.Slot));
                }
                break;
            case WorkerRegistered m: ToWorker(m.WorkerId, m, outbox); break;
            case RegistrationRejected m: ToWorker(m.WorkerId, m, outbox); break;
            case GradientApplied m: ToWorker(m.WorkerId, m, outbox); break;
            case GradientRejected m: ToWorker(m.WorkerId, m, outbox); break;
            case WeightsPublished m:
                foreach (int slot in _hosted.Keys) outbox.Add(new ToWorker(slot, m));
                break;
            case RunFinished m:
                Complete(WorkerNodeStatus.Finished, $"the run finished after {m.Updates} updates ({m.Detail})", outbox);
                break;
            case ChannelEnded m:
                Complete(WorkerNodeStatus.Failed, (_welcomed ? "the tensor channel to the parameter server ended: " : "the parameter server refused the tensor channel: ") + m.Reason, outbox);
                break;
            case ServerStopped:
                Complete(WorkerNodeStatus.Failed, "the parameter server stopped before the run finished", outbox);
                break;
            case WorkerFailed m:
                Complete(WorkerNodeStatus.Failed, $"the worker of slot {m.Slot} failed: {m.Reason}", outbox);
                break;
            default:
                throw new ArgumentException($"a node agent does not handle {message.GetType().Name}", nameof(message));
        }
        return outbox;
    }

    /// <summary>A message from the worker of <paramref name="slot"/> (the shell knows which worker is whose):
    /// to the server, tagged with the slot's assignment. Nothing when the slot is no longer hosted.</summary>
    public IReadOnlyList<AgentOutgoing> FromWorker(int slot, ITrainerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Result is not null || !_hosted.TryGetValue(slot, out long assignment)) return [];
        ITrainerMessage tagged = message switch
        {
            RegisterWorker m when m.WorkerId == slot => new RegisterSlotWorker(slot, assignment),
            PushGradient m when m.WorkerId == slot => new SlotPush(assignment, m),
            NonFiniteGradientSkipped m when m.WorkerId == slot => new SlotSkipped(assignment, m),
            _ => throw new ArgumentException($"the worker of slot {slot} sent {message.GetType().Name} that is not its own", nameof(message)),
        };
        return [new ToServer(tagged)];
    }

    private void ToWorker(int slot, ITrainerMessage message, List<AgentOutgoing> outbox)
    {
        if (_hosted.ContainsKey(slot)) outbox.Add(new ToWorker(slot, message));
    }

    private void Complete(WorkerNodeStatus status, string detail, List<AgentOutgoing> outbox)
    {
        foreach (int slot in _hosted.Keys) outbox.Add(new StopWorker(slot));
        _hosted.Clear();
        Result = new WorkerNodeResult(status, detail);
        outbox.Add(new CompleteNode(Result));
    }
}
