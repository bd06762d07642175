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
/// - when the server goes away mid-run (its connection ends after the welcome, or Akka sees its actor
///   stop), the node stops its workers and looks for the run's server again: a standby that took over
///   continues from its last consistent point and assigns the slots anew, each at its resume chunk with
///   its h, so the workers compute from there again (the server drops what it already has);
/// - fencing: once the node has worked for server epoch E it never joins an older epoch (a late answer
///   from a server that was replaced is ignored); the same epoch again is the same server taking the
///   node back after it dropped it;
/// - the run ends for the node when the server says so, refuses it, a worker fails, the first connection
///   is refused, or no server takes the node back within the search's time limit.
/// </summary>
public sealed class NodeAgentState
{
    private readonly SortedDictionary<int, long> _hosted = new(); // slot → assignment
    private bool _joined, _welcomed, _everWelcomed;
    private string? _lost; // why the node is looking for a server; null while it has one
    private bool _serverGone; // Akka saw the server's actor stop while its connection was still open

    /// <summary>How long a node whose server's actor is gone waits for the server's connection to deliver
    /// its last frames or end, before it looks for another server.</summary>
    public static readonly TimeSpan ServerGoneGrace = TimeSpan.FromSeconds(10);

    /// <summary>G, known once joined.</summary>
    public int TotalSlots { get; private set; }
    public WorkerNodeResult? Result { get; private set; }
    /// <summary>Slots hosted now, ascending, with their assignments.</summary>
    public IReadOnlyDictionary<int, long> Hosted => _hosted;
    /// <summary>The epoch of the last server that took the node in (0 before the first).</summary>
    public long Epoch { get; private set; }
    /// <summary>The node lost its server and is looking for one.</summary>
    public bool Searching => _lost is not null;
    /// <summary>Why the node is looking for a server (null while it has one).</summary>
    public string? Lost => _lost;

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
                Epoch = m.Epoch;
                outbox.Add(new OpenChannel(m.TensorPort, m.Epoch));
                break;
            case RunJoined m when _lost is not null && m.Epoch >= Epoch:
                if (m.TotalSlots != TotalSlots)
                {
                    Complete(WorkerNodeStatus.Failed, $"the server that answered runs {m.TotalSlots} slots, this node's run {TotalSlots}: another run", outbox);
                    break;
                }
                _lost = null;
                Epoch = m.Epoch;
                outbox.Add(new OpenChannel(m.TensorPort, m.Epoch));
                break;
            case RunJoined:
                break; // the answer to a retry, or from an older epoch than the node has worked for (fenced)
            case RunJoinRejected m:
                Complete(WorkerNodeStatus.Rejected, $"the parameter server rejected this node: {m.Reason}", outbox);
                break;
            case ChannelWelcomed:
                _welcomed = _everWelcomed = true;
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
            case ChannelEnded m when _lost is not null:
                break; // a connection of the server the node already gave up
            case ChannelEnded m when _everWelcomed:
                Search("the tensor channel to the parameter server ended: " + m.Reason, outbox);
                break;
            case ChannelEnded m:
                Complete(WorkerNodeStatus.Failed, "the parameter server refused the tensor channel: " + m.Reason, outbox);
                break;
            case ServerStopped when _lost is null && _welcomed && !_serverGone:
                // The connection, not Akka, says how the run ended: a killed server's connection ends at once,
                // but a finished one's RunFinished can still be behind its last weights on a slow link.
                _serverGone = true;
                outbox.Add(new AwaitChannel(ServerGoneGrace));
                break;
            case ServerStopped when _lost is null && !_welcomed:
            case ChannelGraceEnded when _lost is null && _serverGone:
                Search("the parameter server stopped before the run finished", outbox);
                break;
            case ChannelGraceEnded:
                break;
            case ServerStopped:
                break;
            case ServerSearchTimedOut m when _lost is not null:
                Complete(WorkerNodeStatus.Failed, $"{_lost}, and no parameter server took this node in within {m.After.TotalSeconds:0.#} s", outbox);
                break;
            case ServerSearchTimedOut:
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

    /// <summary>The server went away: stop every worker (a new server assigns the slots again, each at its
    /// resume chunk with its h) and look for the run's server.</summary>
    private void Search(string reason, List<AgentOutgoing> outbox)
    {
        foreach (int slot in _hosted.Keys) outbox.Add(new StopWorker(slot));
        _hosted.Clear();
        _welcomed = _serverGone = false;
        _lost = reason;
        outbox.Add(new FindServer(reason));
    }

    private void Complete(WorkerNodeStatus status, string detail, List<AgentOutgoing> outbox)
    {
        foreach (int slot in _hosted.Keys) outbox.Add(new StopWorker(slot));
        _hosted.Clear();
        Result = new WorkerNodeResult(status, detail);
        outbox.Add(new CompleteNode(Result));
    }
}
