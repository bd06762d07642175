using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Serialization;
using ActorTrainer.Actors.Sharding;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Simulation;

/// <summary>
/// A training run of n workers and the server shards on virtual time, in one thread: the real
/// <see cref="WorkerState"/> and <see cref="ParameterServerState"/> decide everything, the real
/// computers compute every gradient, and only the clock is simulated, by <see cref="SimulationCosts"/>.
///
/// Each node (worker, shard) is one actor: a FIFO mailbox and one handler at a time. A handler is
/// called when its message is taken from the mailbox; what it sends leaves when it is done — after
/// the chunk's compute time for a worker that computed, after the push's cost for a shard, at once
/// otherwise — and crosses the <see cref="SimulatedNetwork"/>. Self-messages (a worker's next-chunk
/// tick) go to the back of the sender's own mailbox, as in Akka. The observer (the coordinator's role:
/// callbacks, validation snapshots, stopping the other shards when one completes) is free and instant.
///
/// Handlers that take time run on cores (<see cref="SimulationCosts.Cores"/>, <see cref="SimulatedCore"/>):
/// workers sharing a core share it, a shard's handler preempts the workers on its core, and a worker so
/// preempted takes no message meanwhile. A push that wakes a shard on the pushing worker's core at the
/// instant it is sent preempts the worker at the send: its remaining sends (its next-chunk tick) and its
/// next message wait for the shard's handler, whose reply (the new W) is then ahead of the tick.
///
/// Events are ordered by virtual time, ties by the order they were scheduled, and nothing else — no
/// threads, no wall clock — so the same inputs give the same run, bit for bit.
/// </summary>
public sealed class ClusterSimulation
{
    private sealed record Envelope(ITrainerMessage Message, NodeId From, double SentAt, double ArrivedAt);

    private enum EventKind { Arrive, CoreFinish, Resume }

    /// <summary>A message arriving at a node (Arrive, Mail set); a core's next handler finishing, if the
    /// core's plan is still <c>Generation</c> (CoreFinish); a preempted node going on (Resume).</summary>
    private readonly record struct Event(EventKind Kind, NodeId Node, Envelope? Mail = null, int Core = 0, long Generation = 0);

    private abstract class Node(NodeId id, int core)
    {
        public NodeId Id { get; } = id;
        public int Core { get; } = core;
        public Queue<Envelope> Mailbox { get; } = new();
        public bool Busy { get; set; }
        public Action? Done { get; set; }   // what the running handler sends, once it is done
        public Action? Resume { get; set; } // the rest of a worker's sends, once the shard that preempted it is done
        public bool Waiting { get; set; }   // in its core's queue of nodes to resume
    }

    private sealed class WorkerNode(int id, int core, WorkerState state) : Node(NodeId.Worker(id), core)
    {
        public WorkerState State { get; } = state;
        public List<(double Start, double End)> Computing { get; } = new(); // End ∞ while it runs
    }

    private sealed class ShardNode(int index, int core, ParameterServerState state) : Node(NodeId.Shard(index), core)
    {
        public ParameterServerState State { get; } = state;
        public double BusySeconds { get; set; }
        public long Messages { get; set; }
        public long BytesIn { get; set; }
        public long BytesOut { get; set; }
    }

    private readonly TrainingRunSettings _settings;
    private readonly SimulationCosts _costs;
    private readonly TrainingCallbacks _callbacks;
    private readonly SimulatedNetwork _network;
    private readonly PriorityQueue<Event, (double Time, long Seq)> _events = new();
    private readonly WorkerNode[] _workers;
    private readonly ShardNode[] _shards;
    private readonly SimulatedCore[] _cores;
    private readonly Queue<Node>[] _waiting; // per core: preempted nodes to resume once no shard runs there
    private readonly IUpdateRule _rule;
    private readonly IUpdateRule[] _shardRules;
    private readonly ShardAssembler _assembler;
    private readonly TaskCompletionSource<TrainingResult> _completion = new();
    private readonly RunValidations _run;
    private readonly SimulationTrace? _trace;
    private long _seq, _processed;
    private double _lastUpdate;
    private bool _ran;

    /// <param name="computers">One per worker, owned by the simulation; called on the caller's thread.</param>
    /// <param name="initialWeights">W at version 0 (P); copied.</param>
    /// <param name="rule">Applied by the server; with shards an <see cref="IShardableUpdateRule"/>, sliced per shard and gathered back at the end.</param>
    /// <param name="callbacks">As for an in-process run; they may read <see cref="Now"/>. A callback that throws ends the simulation with its exception.</param>
    /// <param name="recordTrace">Keep every message and chunk with its times in <see cref="SimulationResult.Trace"/> (memory grows with the run).</param>
    public ClusterSimulation(TrainingRunSettings settings, IReadOnlyList<IGradientComputer> computers, float[] initialWeights,
        IUpdateRule rule, SimulationCosts costs, TrainingCallbacks? callbacks = null, bool recordTrace = false)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(computers);
        ArgumentNullException.ThrowIfNull(initialWeights);
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(costs);
        if (computers.Count == 0) throw new ArgumentException("a run needs at least one worker's computer", nameof(computers));
        if (computers.Any(c => c is null || c.ParameterCount != initialWeights.Length))
            throw new ArgumentException($"every computer must expect {initialWeights.Length} parameters", nameof(computers));
        if (settings.Shards > initialWeights.Length)
            throw new ArgumentException($"{settings.Shards} shards for {initialWeights.Length} parameters: every shard needs at least one", nameof(settings));
        if (settings.Shards > 1 && rule is not IShardableUpdateRule)
            throw new ArgumentException($"a run with {settings.Shards} shards needs an {nameof(IShardableUpdateRule)}", nameof(rule));
        if (costs.Shards.Count != settings.Shards)
            throw new ArgumentException($"costs are given for {costs.Shards.Count} shard(s), the run has {settings.Shards}", nameof(costs));

        _settings = settings;
        _costs = costs;
        _callbacks = callbacks ?? new TrainingCallbacks();
        _network = new SimulatedNetwork(costs.Network, !costs.Network.FreeWithinACore || costs.Cores.Count is null ? null
            : (a, b) => costs.Cores.CoreOf(a, computers.Count) == costs.Cores.CoreOf(b, computers.Count));
        _run = new RunValidations(_callbacks, _completion);
        _trace = recordTrace ? new SimulationTrace() : null;
        _rule = rule;

        var layout = new ShardLayout(initialWeights.Length, settings.Shards);
        _assembler = new ShardAssembler(layout);
        _shardRules = layout.Count == 1 ? [rule] : layout.Ranges.Select(r => ((IShardableUpdateRule)rule).Slice(r.Offset, r.Count)).ToArray();
        int Core(NodeId id) => costs.Cores.CoreOf(id, computers.Count);
        _cores = Enumerable.Range(0, costs.Cores.Cores(computers.Count, layout.Count)).Select(_ => new SimulatedCore()).ToArray();
        _waiting = _cores.Select(_ => new Queue<Node>()).ToArray();
        _shards = layout.Ranges.Select(r => new ShardNode(r.Index, Core(NodeId.Shard(r.Index)), new ParameterServerState(
            settings.ToServerSettings(layout, r.Index, computers.Count, _callbacks.Validate is not null),
            initialWeights.AsSpan(r.Offset, r.Count), _shardRules[r.Index]))).ToArray();
        var workerSettings = settings.ToWorkerSettings();
        _workers = computers.Select((c, i) => new WorkerNode(i, Core(NodeId.Worker(i)), new WorkerState(i, c, workerSettings, layout))).ToArray();
    }

    /// <summary>Virtual seconds since the run started (the time of the event being processed).</summary>
    public double Now { get; private set; }

    /// <summary>Runs to completion (the budget, a stop, or divergence). Cancelling stops the run as an
    /// in-process run stops: the shards are told to stop and the result says so. Once only.</summary>
    public SimulationResult Run(CancellationToken cancellationToken = default)
    {
        if (_ran) throw new InvalidOperationException("a simulation runs once");
        _ran = true;
        foreach (var w in _workers) Emit(w, w.State.Start());
        bool cancelled = false;
        while (!_completion.Task.IsCompleted)
        {
            if (cancellationToken.IsCancellationRequested && !cancelled)
            {
                cancelled = true;
                foreach (var s in _shards) Schedule(Now, new Event(EventKind.Arrive, s.Id, new Envelope(new StopTraining("cancelled"), NodeId.Observer, Now, Now)));
                continue;
            }
            if (!_events.TryDequeue(out var e, out var at))
                throw new InvalidOperationException(
                    $"the simulated run stalled at {Now:F6} s before completing: {string.Join("; ", _workers.Select(w => $"worker {w.State.WorkerId} {w.State.Phase}{(w.State.StopReason is { } r ? $" ({r})" : "")}"))}");
            if (e.Kind == EventKind.CoreFinish && e.Generation != _cores[e.Core].Generation) continue; // replanned since
            Now = at.Time;
            _processed++;
            switch (e.Kind)
            {
                case EventKind.Arrive: Deliver(NodeOf(e.Node), e.Mail!); break;
                case EventKind.CoreFinish: Finish(e.Core); break;
                case EventKind.Resume: Resume(NodeOf(e.Node)); break;
            }
        }

        double wall = _lastUpdate > 0 ? _lastUpdate : Now;
        var workers = _workers.Select(w => new WorkerTime(w.State.WorkerId, w.Computing.Count,
            w.Computing.Sum(c => Math.Max(0, Math.Min(c.End, wall) - Math.Min(c.Start, wall))),
            _costs.Stragglers.IsStraggler(w.State.WorkerId, _workers.Length))).ToArray();
        return new SimulationResult(_completion.Task.GetAwaiter().GetResult(), wall, Now, workers, _processed, _trace);
    }

    private Node NodeOf(NodeId id) => id.Kind == NodeKind.Worker ? _workers[id.Index] : _shards[id.Index];

    private void Schedule(double at, Event e) => _events.Enqueue(e, (at, _seq++));

    private void Deliver(Node node, Envelope mail)
    {
        node.Mailbox.Enqueue(mail);
        Pump(node);
    }

    /// <summary>The handlers of core <paramref name="core"/> done now send what they send; then the nodes
    /// waiting for the core's shards go on, after those sends (their events come later).</summary>
    private void Finish(int core)
    {
        var c = _cores[core];
        var finished = c.Finish(Now);
        ScheduleFinish(core);
        foreach (var id in finished)
        {
            var node = NodeOf(id);
            node.Busy = false;
            var done = node.Done!;
            node.Done = null;
            done();
            Pump(node);
        }
        if (!c.Preempted)
            while (_waiting[core].TryDequeue(out var waiting)) Schedule(Now, new Event(EventKind.Resume, waiting.Id));
    }

    private void ScheduleFinish(int core)
    {
        var c = _cores[core];
        if (double.IsFinite(c.NextFinish)) Schedule(c.NextFinish, new Event(EventKind.CoreFinish, default, Core: core, Generation: c.Generation));
    }

    /// <summary>A node preempted by a shard on its core goes on: the rest of its sends, then its mailbox.</summary>
    private void Resume(Node node)
    {
        node.Waiting = false;
        if (Wait(node)) return;
        if (node.Resume is { } rest)
        {
            node.Resume = null;
            node.Busy = false;
            rest();
        }
        Pump(node);
    }

    /// <summary>A worker whose core runs a shard's handler is preempted: it queues to be resumed, and says so.</summary>
    private bool Wait(Node node)
    {
        if (node is not WorkerNode || !_cores[node.Core].Preempted) return false;
        if (!node.Waiting) _waiting[node.Core].Enqueue(node);
        node.Waiting = true;
        return true;
    }

    /// <summary>Handles mailbox messages while the node is free; a handler that takes time makes it busy until then.</summary>
    private void Pump(Node node)
    {
        while (!node.Busy && node.Mailbox.Count > 0 && !Wait(node))
        {
            var mail = node.Mailbox.Dequeue();
            double started = Now;
            var (seconds, send) = node is WorkerNode w ? Handle(w, mail) : Handle((ShardNode)node, mail);
            void Done()
            {
                _trace?.Deliveries.Add(new Delivery(mail.From, node.Id, mail.Message, mail.SentAt, mail.ArrivedAt, started, Now));
                send();
            }
            if (seconds > 0)
            {
                node.Busy = true;
                node.Done = Done;
                _cores[node.Core].Start(node.Id, seconds, preempts: node is ShardNode, Now);
                ScheduleFinish(node.Core);
            }
            else Done();
        }
    }

    private (double Seconds, Action Send) Handle(WorkerNode w, Envelope mail)
    {
        var state = w.State;
        var outbox = mail.Message is ComputeNextChunk ? state.Handle(mail.Message) : state.Handle(mail.Message, mail.From.Index);
        // A chunk was computed iff the outbox carries its gradients (one per shard, in shard order) or its skip.
        var computed = outbox.Where(o => o.To.Audience == Audience.Server && o.Message is PushGradient or NonFiniteGradientSkipped).ToList();
        if (computed.Count == 0) return (0, () => Emit(w, outbox));
        double seconds = _costs.ChunkTime(state.WorkerId, _workers.Length, w.Computing.Count);
        int index = w.Computing.Count;
        double started = Now;
        w.Computing.Add((started, double.PositiveInfinity)); // its end depends on who shares the core meanwhile
        long chunkId = computed.Max(o => o.Message switch { PushGradient p => p.ChunkId, NonFiniteGradientSkipped n => n.ChunkId, _ => -1 });
        long[]? bases = _trace is null ? null
            : computed.Select(o => o.Message switch { PushGradient p => p.BaseVersion, NonFiniteGradientSkipped n => n.BaseVersion, _ => -1 }).ToArray();
        return (seconds, () =>
        {
            w.Computing[index] = (started, Now);
            _trace?.Chunks.Add(new ComputedChunk(state.WorkerId, chunkId, bases!, started, Now));
            Emit(w, outbox);
        });
    }

    /// <summary>Sends <paramref name="outbox"/> from item <paramref name="from"/> on, in order.</summary>
    private void Emit(WorkerNode w, IReadOnlyList<Outgoing> outbox, int from = 0)
    {
        for (int i = from; i < outbox.Count; i++)
        {
            var (to, message) = outbox[i];
            if (to.Audience == Audience.Self)
            {
                w.Mailbox.Enqueue(new Envelope(message, w.Id, Now, Now));
                continue;
            }
            var shard = _shards[to.Shard];
            if (Send(w, shard, message) == Now && shard.Core == w.Core)
            {
                // The shard's thread, woken on this worker's core, preempts the worker at the send (wakeup
                // preemption): the rest of its sends and its next message wait until the core is the workers' again.
                int next = i + 1;
                w.Busy = true;
                w.Resume = () => Emit(w, outbox, next);
                Schedule(Now, new Event(EventKind.Resume, w.Id));
                return;
            }
        }
    }

    private (double Seconds, Action Send) Handle(ShardNode s, Envelope mail)
    {
        s.Messages++;
        s.BytesIn += ChannelFrameCodec.TensorBytes(mail.Message) ?? 0;
        var outbox = s.State.Handle(mail.Message);
        int contributors = outbox.Sum(o => o.Message is UpdateApplied u ? u.WorkerIds.Length : 0);
        double seconds = mail.Message is PushGradient ? _costs.Shards[s.Id.Index].Push(contributors) : 0;
        s.BusySeconds += seconds;
        return (seconds, () => Emit(s, mail, outbox));
    }

    private void Emit(ShardNode s, Envelope mail, IReadOnlyList<Outgoing> outbox)
    {
        foreach (var (to, message) in outbox)
        {
            switch (to.Audience)
            {
                case Audience.Worker: Send(s, _workers[to.WorkerId], message); break;
                case Audience.AllWorkers:
                    foreach (int id in s.State.RegisteredWorkers) Send(s, _workers[id], message);
                    break;
                case Audience.Sender: Send(s, NodeOf(mail.From), message); break;
                case Audience.Observer: Observe(s, message); break;
            }
        }
    }

    /// <summary>Puts <paramref name="message"/> on the network; returns when it arrives.</summary>
    private double Send(Node from, Node to, ITrainerMessage message)
    {
        long? tensorBytes = ChannelFrameCodec.TensorBytes(message);
        if (from is ShardNode s) s.BytesOut += tensorBytes ?? 0;
        double arrives = _network.Send(from.Id, to.Id, tensorBytes ?? _network.Costs.ControlBytes, Now);
        Schedule(arrives, new Event(EventKind.Arrive, to.Id, new Envelope(message, from.Id, Now, arrives)));
        return arrives;
    }

    /// <summary>The coordinator's part: progress from shard 0, validation snapshots joined across shards,
    /// stopping the other shards when one completes, and the run's result once all have.</summary>
    private void Observe(ShardNode s, ITrainerMessage message)
    {
        int shard = s.Id.Index;
        _trace?.Observed.Add(new Observed(shard, message, Now));
        switch (message)
        {
            case UpdateApplied u:
                if (shard != 0) return;
                _lastUpdate = Now;
                _callbacks.OnUpdate?.Invoke(u);
                break;
            case WeightsPublished m:
                if (_assembler.AddSnapshot(shard, m) is { } whole) _run.Validate(whole.Weights, whole.Version, whole.UpdateNumber);
                break;
            case TrainingCompleted m:
                _assembler.AddLoad(shard, new ServerLoadReported(s.BusySeconds, Now, s.Messages, s.BytesIn, s.BytesOut));
                var all = _assembler.AddCompletion(shard, m);
                if (_assembler.IsFirstCompletion)
                    foreach (var other in _shards.Where(o => o != s))
                        // as the coordinator does: sync shards finish the same rounds, the others stop now
                        Schedule(Now, new Event(EventKind.Arrive, other.Id, new Envelope(new StopTraining($"another shard completed: {m.Detail}",
                            AtUpdate: _settings.Mode == ConsistencyMode.Sync ? m.Stats.Updates : null), NodeId.Observer, Now, Now)));
                if (all is null) return;
                if (_shards.Length > 1) ((IShardableUpdateRule)_rule).Gather(_shardRules);
                _run.Complete(all, r => r with
                {
                    ShardStats = _assembler.Completions.Select(c => c!.Stats).ToArray(),
                    ServerLoads = _assembler.Loads.Select(l => l!).ToArray(),
                });
                break;
            case NonFiniteGradientSkipped or WorkerLeft when shard != 0:
                break; // a worker's report to every shard is passed on once
            case ITrainerEvent e:
                _callbacks.OnEvent?.Invoke(e);
                break;
        }
    }
}
