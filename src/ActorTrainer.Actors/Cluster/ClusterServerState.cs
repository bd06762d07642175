using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Cluster;

/// <summary>
/// Everything the cluster's parameter server knows and decides, without Akka: the run's
/// <see cref="ParameterServerState"/> (W, versions, modes, with slot ids as worker ids), which worker
/// node hosts which slot (<see cref="SlotTable"/>), and per slot its <see cref="SlotCursor"/> (where it
/// resumes, with which h). <see cref="Handle(string, ITrainerMessage)"/> takes one message and returns
/// what to send, in order; <see cref="ClusterServerActor"/> only delivers it. Not thread-safe.
///
/// Rules:
/// - membership: a node joins with <see cref="JoinRun"/> (fingerprint checked), then takes part once its
///   tensor connection is open (<see cref="NodeConnected"/>); from then on it is in the slot table.
/// - identity: with TLS, a node is the name on its certificate. The connection's proved name must be the
///   one its address joined under, and no two connected nodes share a name: a Hello naming another node's
///   address, or a JoinRun naming another node, gets no connection (the refused address must join again);
///   <see cref="NodeDropped"/> (it left, became unreachable, its connection broke) removes it for good
///   and its slots move; a node that comes back joins again as a new one; a node whose connection broke
///   without a goodbye is downed in the cluster (<see cref="DownMember"/>): its process is gone;
/// - a slot is hosted under an assignment number, new at every move; a message for a slot counts only
///   from the node hosting it under that number (others are refused to the observer and not answered:
///   their sender was revoked);
/// - a slot's pushes must carry the chunk id expected next for its hosting: the next one, or a resend of
///   one already received (dropped: applied at most once); a later id is refused. A local-steps push
///   covers chunks FirstChunkId … ChunkId: its first must be the one expected. A chunk id never moves
///   the resume point by itself;
/// - a slot resumes at the chunk after the last one the server accepted from it, with the h that came
///   with that chunk's gradient (zeros at the run's start). In sync mode an accepted gradient waits in
///   the open round, which belongs to the run's slots, not to the live nodes: a moved slot's new worker
///   gets its weights only once that round has closed, and a round waits for a vacant slot;
/// - slots stay registered with the parameter server for the whole run: its sync rounds always count G;
/// - checkpoints carry every slot's resume chunk and h; a server built from one continues the run there,
///   as the next epoch: a connection made for another epoch is refused (a node that joined an older
///   server cannot act on this one).
/// </summary>
public sealed class ClusterServerState
{
    private readonly ClusterRunSettings _settings;
    private readonly ParameterServerState _ps;
    private readonly OptimizerUpdateRule _rule;
    private readonly int _tensorPort;
    private readonly SlotTable _slots;
    private readonly SlotCursor[] _cursor;                 // (G)
    private readonly Dictionary<string, (int Capacity, string Name)> _joined = new(); // node → its offer and claimed name; connection maybe not yet open
    private readonly HashSet<string> _connected = new();      // nodes in the slot table
    private readonly Dictionary<string, string> _provedName = new(); // connected node → the name its certificate proved (TLS only)
    private readonly long _baseUpdates;                       // updates of the run before this server (a resumed run)
    private long _lastAssignment;
    private bool _started;                                    // the parameter server has handed out W

    /// <param name="initialWeights">W at version 0; copied.</param>
    /// <param name="tensorPort">The ps node's tensor channel port, told to every joining node.</param>
    /// <param name="resume">A checkpoint of this run to continue from (W and version, each slot's resume
    /// chunk and h; <paramref name="rule"/> already holds its optimizer state): its update count is where
    /// this server's update numbers continue, and <paramref name="initialWeights"/> is ignored. Null: a new run.</param>
    public ClusterServerState(ClusterRunSettings settings, ReadOnlySpan<float> initialWeights, OptimizerUpdateRule rule, int tensorPort,
        ServerCheckpoint? resume = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(rule);
        if (resume is not null && (resume.NextChunk.Length != settings.Slots || resume.Hidden.Length != settings.Slots))
            throw new ArgumentException($"the checkpoint has {resume.NextChunk.Length} slots, the run {settings.Slots}", nameof(resume));
        _settings = settings;
        _rule = rule;
        _tensorPort = tensorPort;
        _ps = resume is null
            ? new ParameterServerState(settings.Server, initialWeights, rule)
            : new ParameterServerState(settings.Server, resume.Weights, rule, resume.Version);
        _baseUpdates = resume?.Updates ?? 0;
        Epoch = (resume?.Epoch ?? 0) + 1;
        _slots = new SlotTable(settings.Slots);
        _cursor = Enumerable.Range(0, settings.Slots)
            .Select(g => resume is null ? new SlotCursor() : new SlotCursor(resume.NextChunk[g], resume.Hidden[g])).ToArray();
    }

    /// <summary>This server's incarnation: 1 for a new run, the checkpoint's + 1 when resumed. A connection
    /// made for another epoch (a node that joined an older or a rival server) is refused.</summary>
    public long Epoch { get; }

    /// <summary>Updates of the whole run, a resumed run's earlier ones included.</summary>
    public long Updates => _baseUpdates + _ps.Updates;

    public ParameterServerState Server => _ps;
    public bool IsFinished { get; private set; }
    /// <summary>The node hosting <paramref name="slot"/>, or null.</summary>
    public string? HostOf(int slot) => _slots.HostOf(slot);
    /// <summary>Where <paramref name="slot"/> stands (read-only view; changes with every message).</summary>
    public SlotCursor Cursor(int slot) => _cursor[slot];
    /// <summary>Resent pushes dropped because their (slot, chunk) was already received.</summary>
    public long DuplicatesDropped { get; private set; }

    /// <summary>Processes one message from worker node <paramref name="node"/> (its cluster address).</summary>
    public IReadOnlyList<ClusterOutgoing> Handle(string node, ITrainerMessage message)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(message);
        var outbox = new List<ClusterOutgoing>();
        switch (message)
        {
            case JoinRun m: Join(node, m, outbox); break;
            case NodeConnected m: Connect(node, m.Epoch, m.ProvedName, outbox); break;
            case NodeDropped m: Drop(node, m.Reason, m.ConnectionBroke, outbox); break;
            case RegisterSlotWorker m: Register(node, m, outbox); break;
            case SlotPush m: Push(node, m, outbox); break;
            case SlotSkipped m: Skipped(node, m, outbox); break;
            default: throw new ArgumentException($"the cluster server does not handle {message.GetType().Name} from a node", nameof(message));
        }
        return outbox;
    }

    /// <summary>Processes a message that comes from no node (<see cref="StopTraining"/>).</summary>
    public IReadOnlyList<ClusterOutgoing> Handle(ITrainerMessage message)
    {
        if (message is not StopTraining stop) throw new ArgumentException($"the cluster server does not handle {message.GetType().Name}", nameof(message));
        var outbox = new List<ClusterOutgoing>();
        Deliver(_ps.Handle(stop), null, outbox);
        return outbox;
    }

    /// <summary>A consistent point: W, optimizer state, and every slot's resume chunk and h (copies).</summary>
    public ServerCheckpoint Checkpoint() => new(
        Updates, _ps.Version, _ps.Weights.ToArray(), _rule.State?.Slice(0, _rule.State.Length),
        _cursor.Select(c => c.ResumeChunk).ToArray(), _cursor.Select(c => (float[])c.ResumeHidden.Clone()).ToArray(), Epoch);

    // ---- membership ---------------------------------------------------------------------------

    private void Join(string node, JoinRun m, List<ClusterOutgoing> outbox)
    {
        string? refusal = IsFinished ? "the run has finished"
            : m.Capacity <= 0 ? $"a node must offer at least one worker (got {m.Capacity})"
            : NameHolder(m.NodeName, except: node) is { } holder ? $"node name '{m.NodeName}' is in the run already as {holder}: a node cannot take another's identity"
            : m.Fingerprint.MismatchWith(_settings.Fingerprint);
        if (refusal is not null)
        {
            var rejected = new RunJoinRejected(node, refusal);
            outbox.Add(ClusterOutgoing.ToNode(node, rejected));
            outbox.Add(ClusterOutgoing.ToObserver(rejected));
            return;
        }
        _joined.TryAdd(node, (m.Capacity, m.NodeName)); // a retry keeps the first offer
        outbox.Add(ClusterOutgoing.ToNode(node, new RunJoined(_settings.Slots, _tensorPort, Epoch)));
    }

    private void Connect(string node, long epoch, string? proved, List<ClusterOutgoing> outbox)
    {
        bool joined = _joined.TryGetValue(node, out var offer);
        bool impostor = joined && proved is not null && proved != offer.Name;
        string? refusal = IsFinished ? "the run has finished"
            : epoch != Epoch ? $"the connection is for server epoch {epoch}, this server is epoch {Epoch}: join it again"
            : !joined ? $"node {node} has not joined the run"
            : _connected.Contains(node) ? $"node {node} already has a tensor connection"
            : impostor ? $"the connection's certificate is node '{proved}', but {node} joined as '{offer.Name}': a node cannot take another's identity"
            : proved is not null && NameHolder(proved, except: node) is { } holder ? $"node '{proved}' is in the run already as {holder}"
            : null;
        if (refusal is not null)
        {
            if (impostor) _joined.Remove(node); // its claim is void: it must join again, as itself
            outbox.Add(ClusterOutgoing.ToNode(node, new CloseChannel(refusal)));
            outbox.Add(ClusterOutgoing.ToObserver(new ConnectionRefused(node, refusal)));
            return;
        }
        int capacity = offer.Capacity;
        if (proved is not null) _provedName[node] = proved;
        _connected.Add(node);
        outbox.Add(ClusterOutgoing.ToNode(node, new WelcomeNode()));
        var moves = _slots.Join(node, capacity);
        outbox.Add(ClusterOutgoing.ToObserver(new NodeJoined(node, capacity, _slots.Capacity, _settings.Slots)));
        Apply(moves, "assigned", outbox);
    }

    private void Drop(string node, string reason, bool connectionBroke, List<ClusterOutgoing> outbox)
    {
        bool joined = _joined.Remove(node);
        _provedName.Remove(node);
        if (!_connected.Remove(node))
        {
            if (joined) outbox.Add(ClusterOutgoing.ToObserver(new NodeLeft(node, reason)));
            return;
        }
        // A connection that ended without a goodbye is a dead process (the kernel closed it): down its member
        // now, so that the cluster need not wait ~16 s for the resolver before nodes that replace it are Up.
        if (connectionBroke) outbox.Add(ClusterOutgoing.ToNode(node, new DownMember(reason)));
        outbox.Add(ClusterOutgoing.ToNode(node, new CloseChannel($"the node was dropped: {reason}")));
        outbox.Add(ClusterOutgoing.ToObserver(new NodeLeft(node, reason)));
        Apply(_slots.Leave(node), $"node {node} was dropped: {reason}", outbox);
    }

    /// <summary>The connected node other than <paramref name="except"/> whose certificate proved <paramref name="name"/>, or null.</summary>
    private string? NameHolder(string name, string except) =>
        name.Length == 0 ? null : _provedName.FirstOrDefault(p => p.Value == name && p.Key != except).Key;

    private void Apply(IReadOnlyList<SlotMove> moves, string reason, List<ClusterOutgoing> outbox)
    {
        foreach (var (slot, from, to) in moves)
        {
            var c = _cursor[slot];
            if (from is not null && _connected.Contains(from)) outbox.Add(ClusterOutgoing.ToNode(from, new SlotRevoked(slot, c.Assignment, reason)));
            c.Host(to, to is null || IsFinished ? 0 : ++_lastAssignment);
            if (to is not null && !IsFinished)
            {
                int b = _settings.StreamsPerSlot;
                outbox.Add(ClusterOutgoing.ToNode(to, new SlotAssigned(slot, c.Assignment, slot * b, b, c.ResumeChunk, (float[])c.ResumeHidden.Clone())));
            }
            outbox.Add(ClusterOutgoing.ToObserver(new SlotMoved(slot, from, to, c.ResumeChunk, c.ResumeHidden.Length > 0)));
        }
    }

    // ---- the parameter server's protocol, guarded by slot ownership ----------------------------

    private bool Owns(string node, int slot, long assignment) =>
        (uint)slot < (uint)_cursor.Length && _slots.HostOf(slot) == node && _cursor[slot].Assignment == assignment;

    private void Register(string node, RegisterSlotWorker m, List<ClusterOutgoing> outbox)
    {
        if (!Owns(node, m.Slot, m.Assignment))
        {
            outbox.Add(ClusterOutgoing.ToObserver(new RegistrationRejected(m.Slot, $"slot {m.Slot} is not hosted by node {node} under assignment {m.Assignment}")));
            return;
        }
        var c = _cursor[m.Slot];
        if (c.Registered) return; // a repeat: its answer is on the way
        c.Registered = true;
        if (!_ps.IsRegistered(m.Slot)) Deliver(_ps.Handle(new RegisterWorker(m.Slot, _settings.Server.Fingerprint)), node, outbox);
        else AnswerWaitingRegistrations(outbox); // a moved slot: the server already counts it
    }

    private void Push(string node, SlotPush m, List<ClusterOutgoing> outbox)
    {
        var push = m.Push;
        int slot = push.WorkerId;
        if (!Owns(node, slot, m.Assignment) || !_cursor[slot].Registered)
        {
            outbox.Add(ClusterOutgoing.ToObserver(new GradientRejected(slot, push.ChunkId, push.BaseVersion, RejectionReason.UnknownWorker,
                $"slot {slot} is not hosted by node {node} under assignment {m.Assignment}", _ps.Version)));
            return;
        }
        var c = _cursor[slot];
        if (push.FirstChunkId < c.ExpectedNext)
        {
            DuplicatesDropped++; // a resend: its first copy was received and is answered
            return;
        }
        if (push.FirstChunkId > c.ExpectedNext)
        {
            var rejected = new GradientRejected(slot, push.ChunkId, push.BaseVersion, RejectionReason.UnexpectedChunk,
                $"chunk {push.FirstChunkId} is not the next chunk of slot {slot} (expected {c.ExpectedNext})", _ps.Version);
            outbox.Add(ClusterOutgoing.ToNode(node, rejected));
            outbox.Add(ClusterOutgoing.ToObserver(rejected));
            return;
        }
        c.ExpectedNext = push.ChunkId + 1; // a local-steps push covers several chunks
        var answer = _ps.Handle(push);
        var refusal = answer.Select(o => o.Message).OfType<GradientRejected>().FirstOrDefault(r => r.WorkerId == slot && r.ChunkId == push.ChunkId);
        // Applied, waiting in the sync round (closed below if it closed), or spent by a refusal: the slot goes on after it.
        if (refusal is null || ParameterServerState.SpendsChunk(refusal.Reason))
            c.Counted(push.ChunkId, push.Hidden, inRound: refusal is null && _settings.Server.Mode == ConsistencyMode.Sync);
        Deliver(answer, node, outbox);
    }

    private void Skipped(string node, SlotSkipped m, List<ClusterOutgoing> outbox)
    {
        int slot = m.Skipped.WorkerId;
        if (!Owns(node, slot, m.Assignment) || m.Skipped.ChunkId != _cursor[slot].ExpectedNext) return;
        _cursor[slot].ExpectedNext++;
        Deliver(_ps.Handle(m.Skipped), node, outbox);
    }

    /// <summary>Routes the parameter server's outbox: to a slot's host, once to every node hosting slots, or to the observer.</summary>
    /// <param name="from">The node whose message is being handled (the parameter server's <see cref="Audience.Sender"/>).</param>
    private void Deliver(IReadOnlyList<Outgoing> answer, string? from, List<ClusterOutgoing> outbox)
    {
        foreach (var (to, message) in answer)
        {
            switch (to.Audience)
            {
                case Audience.Worker:
                    if (message is WorkerRegistered) _started = true;
                    ToSlot(to.WorkerId, message, outbox);
                    break;
                case Audience.AllWorkers:
                    foreach (var node in _connected.Where(n => _slots.SlotsOf(n).Count > 0).Order(StringComparer.Ordinal))
                        outbox.Add(ClusterOutgoing.ToNode(node, message));
                    break;
                case Audience.Sender:
                    if (from is not null) outbox.Add(ClusterOutgoing.ToNode(from, message));
                    break;
                case Audience.Observer:
                    Observe(message, outbox);
                    break;
            }
        }
        AnswerWaitingRegistrations(outbox);
    }

    /// <summary>A message for slot <paramref name="slot"/>'s worker goes to its host; an answer to a chunk of an earlier hosting is dropped.</summary>
    private void ToSlot(int slot, ITrainerMessage message, List<ClusterOutgoing> outbox)
    {
        var c = _cursor[slot];
        if (_slots.HostOf(slot) is not { } host || !_connected.Contains(host)) return;
        long? chunk = message switch { GradientApplied a => a.ChunkId, GradientRejected r => r.ChunkId, _ => null };
        if (chunk < c.FirstChunk) return;
        if (message is WorkerRegistered) c.Answered = true;
        outbox.Add(ClusterOutgoing.ToNode(host, message));
    }

    /// <summary>Moved slots whose worker registered get W as soon as the run has started and their last
    /// accepted gradient is applied (sync: their round closed): they resume after it, on the W that includes it.</summary>
    private void AnswerWaitingRegistrations(List<ClusterOutgoing> outbox)
    {
        if (!_started || IsFinished) return;
        float[]? w = null; // one copy, shared read-only by the receivers
        for (int slot = 0; slot < _cursor.Length; slot++)
        {
            var c = _cursor[slot];
            if (!c.Registered || c.Answered || c.PendingInRound || !_ps.IsRegistered(slot)) continue;
            ToSlot(slot, new WorkerRegistered(slot, _ps.Version, w ??= _ps.Weights.ToArray()), outbox);
        }
    }

    private void Observe(ITrainerMessage message, List<ClusterOutgoing> outbox)
    {
        switch (message)
        {
            case UpdateApplied u:
                foreach (int slot in u.WorkerIds) _cursor[slot].RoundClosed();
                u = u with { UpdateNumber = _baseUpdates + u.UpdateNumber };
                outbox.Add(ClusterOutgoing.ToObserver(u));
                if (_settings.CheckpointEvery > 0 && u.UpdateNumber % _settings.CheckpointEvery == 0 && !_ps.IsFinished)
                    outbox.Add(ClusterOutgoing.ToObserver(Checkpoint()));
                break;
            case TrainingCompleted done:
                IsFinished = true;
                foreach (var c in _cursor) c.RoundDropped(); // the server drops an open round when it finishes: its chunks were never applied
                outbox.Add(ClusterOutgoing.ToObserver(Checkpoint()));
                foreach (var node in _connected.Order(StringComparer.Ordinal))
                {
                    outbox.Add(ClusterOutgoing.ToNode(node, new RunFinished(done.Reason, done.Detail, done.Stats.Updates)));
                    outbox.Add(ClusterOutgoing.ToNode(node, new CloseChannel("the run finished")));
                }
                outbox.Add(ClusterOutgoing.ToObserver(done));
                break;
            case WeightsPublished w:
                outbox.Add(ClusterOutgoing.ToObserver(w with { UpdateNumber = _baseUpdates + w.UpdateNumber }));
                break;
            case GradientRejected { Reason: RejectionReason.NonFiniteUpdate } r: // a refused round spends its chunks: it is closed
                if ((uint)r.WorkerId < (uint)_cursor.Length) _cursor[r.WorkerId].RoundClosed();
                outbox.Add(ClusterOutgoing.ToObserver(r));
                break;
            default:
                outbox.Add(ClusterOutgoing.ToObserver(message));
                break;
        }
    }
}

/// <summary>
/// Where one slot stands on the server: who hosts it under which assignment, the chunk its hosting must
/// push next, and where it resumes if it moves — the chunk after the last one accepted, with the h that
/// came with it (empty = zeros).
/// </summary>
public sealed class SlotCursor
{
    /// <summary>The current hosting's number (0: vacant).</summary>
    public long Assignment { get; private set; }
    /// <summary>The chunk the current hosting started at; answers to earlier chunks belong to an earlier hosting.</summary>
    public long FirstChunk { get; private set; }
    /// <summary>The chunk id the current hosting must push next.</summary>
    public long ExpectedNext { get; internal set; }
    /// <summary>Where the slot resumes: after the last chunk counted (applied, waiting in the sync round, or spent).</summary>
    public long ResumeChunk { get; private set; }
    /// <summary>(B×H) h after chunk <see cref="ResumeChunk"/> − 1; empty = zeros.</summary>
    public float[] ResumeHidden { get; private set; } = [];
    /// <summary>The current hosting's worker has asked to register.</summary>
    public bool Registered { get; internal set; }
    /// <summary>The current hosting's worker has been sent W.</summary>
    public bool Answered { get; internal set; }
    /// <summary>Sync: the last accepted gradient waits in the open round.</summary>
    public bool PendingInRound { get; private set; }

    private (long Chunk, float[] Hidden) _beforeRound; // the resume point before the gradient in the open round

    internal SlotCursor() { }

    /// <summary>A slot of a resumed run: at its checkpoint's chunk, with its h.</summary>
    internal SlotCursor(long resumeChunk, float[] hidden)
    {
        ResumeChunk = FirstChunk = ExpectedNext = resumeChunk;
        ResumeHidden = hidden;
    }

    internal void Host(string? node, long assignment)
    {
        Assignment = node is null ? 0 : assignment;
        FirstChunk = ExpectedNext = ResumeChunk;
        Registered = Answered = false;
    }

    /// <summary>The server counted <paramref name="chunk"/>: applied it, put it in the open round, or spent it by a refusal.</summary>
    /// <param name="inRound">Sync: the gradient waits in the open round until <see cref="RoundClosed"/> or <see cref="RoundDropped"/>.</param>
    internal void Counted(long chunk, float[]? hidden, bool inRound)
    {
        if (inRound && !PendingInRound) _beforeRound = (ResumeChunk, ResumeHidden);
        ResumeChunk = chunk + 1;
        ResumeHidden = hidden ?? [];
        if (!inRound && PendingInRound) _beforeRound = (ResumeChunk, ResumeHidden); // spent while a round is open: spent even if the round is dropped
        PendingInRound |= inRound;
    }

    /// <summary>The open round was applied (or refused, which spends its chunks too): the slot resumes after its gradient.</summary>
    internal void RoundClosed() => PendingInRound = false;

    /// <summary>The run ended with the round open, so its gradient was never applied: the slot resumes at that chunk.</summary>
    internal void RoundDropped()
    {
        if (!PendingInRound) return;
        (ResumeChunk, ResumeHidden) = _beforeRound;
        PendingInRound = false;
    }
}
