using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Serialization;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Actors.Worker;
using Akka.Actor;
using Akka.Cluster;

namespace ActorTrainer.Actors.Cluster;

/// <summary>
/// The parameter server of a cluster run, run as the cluster singleton on the ps role. A shell over
/// two plain states: <see cref="ParameterServerState"/> (W, versions, modes — exactly as in one
/// process, with slot ids as worker ids) and <see cref="SlotTable"/> (which worker node hosts which
/// slot). What it adds is the cluster:
/// <list type="bullet">
/// <item>worker nodes join with <see cref="JoinRun"/> (checked against the run's fingerprint) and
/// receive slots; each slot's worker then registers with the state as usual;</item>
/// <item>new weights go once to each node, whose agent fans them out to its workers — not once per
/// worker. With a tensor channel (<see cref="TensorChannelListener"/>) weights and gradient pushes
/// travel on each node's own TCP connection, beside Akka.Remote; a connection that breaks drops its
/// node like a crash. Without one (or before a node's connection is up) tensors cross Akka.Remote in
/// 64 KiB parts (<see cref="TensorParts"/>);</item>
/// <item>a node that leaves, is removed or becomes unreachable is dropped at once: its workers leave
/// the state (a sync round stops waiting for them) and its slots move to the remaining nodes, resuming
/// at the chunk after the last one the server received from the slot, with the hidden state reset;</item>
/// <item>only a slot's current worker may push for it (a worker whose slot moved is refused);</item>
/// <item>every <see cref="ClusterRunSettings.CheckpointEvery"/> updates and at the end it hands the
/// observer a <see cref="ServerCheckpoint"/>; at the end it tells every node <see cref="RunFinished"/>.</item>
/// </list>
/// Runs on <see cref="TrainerHocon.ServerDispatcherId"/>.
/// </summary>
public sealed class ClusterServerActor : ReceiveActor
{
    private readonly ClusterRunSettings _settings;
    private readonly ParameterServerState _state;
    private readonly OptimizerUpdateRule _rule;
    private readonly IActorRef _observer;
    private readonly SlotTable _slots;
    private readonly Dictionary<string, (IActorRef Agent, int Capacity)> _nodes = new(); // joined node → agent
    private readonly Dictionary<string, (IActorRef Agent, int Capacity, int[] Slots)> _unreachable = new();
    private readonly Dictionary<int, IActorRef> _workers = new(); // slot → its registered worker
    private readonly long[] _nextChunk;                            // (G) slot → chunk it resumes from
    private readonly TensorAssembler _parts = new();               // gradients arrive in parts (TensorParts)
    private readonly ServerLoadMeter _load = new();                 // busy time and tensor bytes, reported at the end
    private readonly TensorChannelListener? _channel;
    private readonly Dictionary<string, TensorConnection> _channels = new();     // node → its tensor connection
    private readonly Dictionary<TensorConnection, string> _channelNodes = new(); // and back
    private bool _finished;
    private bool _failed;

    /// <param name="initialWeights">W at version 0; copied.</param>
    /// <param name="observer">A local actor: metrics, membership events, checkpoints, completion.</param>
    /// <param name="channel">The node's bound tensor channel listener (accepting from PreStart on), or null: tensors over Akka.Remote.</param>
    public static Props Props(ClusterRunSettings settings, float[] initialWeights, OptimizerUpdateRule rule, IActorRef observer,
        TensorChannelListener? channel = null) =>
        Akka.Actor.Props.Create(() => new ClusterServerActor(settings, initialWeights, rule, observer, channel))
            .WithDispatcher(TrainerHocon.ServerDispatcherId);

    public ClusterServerActor(ClusterRunSettings settings, float[] initialWeights, OptimizerUpdateRule rule, IActorRef observer,
        TensorChannelListener? channel)
    {
        _channel = channel;
        _settings = settings;
        _state = new ParameterServerState(settings.Server, initialWeights, rule);
        _rule = rule;
        _observer = observer;
        _slots = new SlotTable(settings.Slots);
        _nextChunk = new long[settings.Slots];
        Receive<JoinRun>(Handle);
        Receive<RegisterWorker>(Handle);
        Receive<PushGradient>(m => Handle(m, Sender));
        Receive<NonFiniteGradientSkipped>(Handle);
        Receive<TensorChannelOpened>(Handle);
        Receive<TensorChannelPushed>(Handle);
        Receive<TensorChannelEnded>(Handle);
        Receive<StopTraining>(m => Deliver(_state.Handle(m)));
        Receive<Terminated>(Handle);
        Receive<ClusterEvent.UnreachableMember>(m => Drop(m.Member.Address.ToString(), "it became unreachable", mayReturn: true));
        Receive<ClusterEvent.ReachableMember>(Handle);
        Receive<ClusterEvent.MemberLeft>(m => Drop(m.Member.Address.ToString(), "it is leaving the cluster"));
        Receive<ClusterEvent.MemberExited>(m => Drop(m.Member.Address.ToString(), "it left the cluster"));
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            string node = m.Member.Address.ToString();
            _unreachable.Remove(node);
            Drop(node, "it was removed from the cluster");
        });
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    protected override void PreStart()
    {
        _channel?.Start(Self, _state.Weights.Length);
        _observer.Tell(new ServerStarted(_settings.Slots));
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop()
    {
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        _channel?.Dispose();
        foreach (var connection in _channels.Values) connection.Close("the parameter server stopped");
    }

    /// <summary>Gradients from other nodes arrive in parts (or whole over the tensor channel); the whole
    /// push is handled, with its sender. Busy time includes assembling the parts; bytes count whole messages.
    /// A handler that throws fails the run (<see cref="Fail"/>): under the singleton manager's default
    /// supervision the server would be restarted with W at version 0 and no nodes, and every node would
    /// wait for ever.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            object? whole = message is TensorPart part ? _parts.Add(Sender, part) : message;
            if (whole is null) return true;
            _load.Received(whole is TensorChannelPushed pushed ? pushed.Push : whole); // over the channel: count the push
            return base.AroundReceive(receive, whole);
        }
        catch (Exception e) when (!_failed)
        {
            Fail(e, message);
            return true;
        }
        finally { _load.Handled(start); }
    }

    /// <summary>Ends the run with the error: the observer hears of it, and the server stops (PostStop closes
    /// the tensor channel; worker nodes watching the server see it stop and leave).</summary>
    private void Fail(Exception e, object message)
    {
        _failed = _finished = true;
        _observer.Tell(new ServerFailed($"{e.GetType().Name} while handling {message.GetType().Name}: {e.Message}"), Self);
        Context.Stop(Self);
    }

    // ---- membership ---------------------------------------------------------------------------

    private void Handle(JoinRun m)
    {
        string node = Sender.Path.Address.ToString();
        string? refusal = _finished || _state.IsFinished ? "the run has finished"
            : m.Capacity <= 0 ? $"a node must offer at least one worker (got {m.Capacity})"
            : m.Fingerprint.MismatchWith(_settings.Fingerprint);
        if (refusal is not null)
        {
            var rejected = new RunJoinRejected(node, refusal);
            Sender.Tell(rejected);
            _observer.Tell(rejected);
            return;
        }
        if (_nodes.ContainsKey(node)) { Sender.Tell(Joined()); return; } // a retry
        if (_unreachable.Remove(node, out var old)) Revoke(old.Agent, old.Slots, "the node was dropped while unreachable");
        Join(node, Sender, m.Capacity);
    }

    private void Handle(ClusterEvent.ReachableMember m)
    {
        // Back from unreachable: its workers were dropped and its slots moved; revocations sent while it
        // was away may be lost, so repeat them before the node takes part again like a late joiner.
        string node = m.Member.Address.ToString();
        if (_finished || !_unreachable.Remove(node, out var old)) return;
        Revoke(old.Agent, old.Slots, "the node was dropped while unreachable");
        Join(node, old.Agent, old.Capacity);
    }

    private void Join(string node, IActorRef agent, int capacity)
    {
        _nodes[node] = (agent, capacity);
        Context.Watch(agent);
        agent.Tell(Joined());
        var moves = _slots.Join(node, capacity);
        _observer.Tell(new NodeJoined(node, capacity, _slots.Capacity, _settings.Slots));
        Apply(moves, "assigned");
    }

    private RunJoined Joined() => new(_settings.Slots, _channel?.Port ?? 0);

    /// <summary>Stops counting on a node: its workers leave the state, its slots move on. A node that
    /// may return (unreachable) keeps its tensor connection; one that left for good loses it.</summary>
    private void Drop(string node, string reason, bool mayReturn = false)
    {
        if (!mayReturn) CloseChannel(node, $"the node was dropped: {reason}");
        if (!_nodes.Remove(node, out var entry)) return;
        Context.Unwatch(entry.Agent);
        var hosted = _slots.SlotsOf(node).ToArray();
        if (mayReturn && !_finished) _unreachable[node] = (entry.Agent, entry.Capacity, hosted);
        _observer.Tell(new NodeLeft(node, reason));
        Apply(_slots.Leave(node), $"node {node} was dropped: {reason}");
    }

    private static void Revoke(IActorRef agent, IEnumerable<int> slots, string reason)
    {
        foreach (int slot in slots) agent.Tell(new SlotRevoked(slot, reason));
    }

    private void Apply(IReadOnlyList<SlotMove> moves, string reason)
    {
        foreach (var (slot, from, to) in moves)
        {
            if (from is not null)
            {
                if (_workers.Remove(slot, out var worker))
                {
                    Context.Unwatch(worker);
                    _parts.Forget(worker);
                    Deliver(_state.Handle(new WorkerLeft(slot, reason)));
                }
                if (_nodes.TryGetValue(from, out var old)) old.Agent.Tell(new SlotRevoked(slot, reason));
            }
            if (to is not null && !_finished)
            {
                int b = _settings.StreamsPerSlot;
                _nodes[to].Agent.Tell(new SlotAssigned(slot, slot * b, b, _nextChunk[slot]));
            }
            _observer.Tell(new SlotMoved(slot, from, to, _nextChunk[slot]));
        }
    }

    private void Handle(Terminated t)
    {
        foreach (var (node, entry) in _nodes)
        {
            if (!entry.Agent.Equals(t.ActorRef)) continue;
            Drop(node, "its agent stopped");
            return;
        }
        foreach (var (slot, worker) in _workers)
        {
            if (!worker.Equals(t.ActorRef)) continue;
            // The worker stopped but its node is still here: the slot is assigned again.
            _workers.Remove(slot);
            _parts.Forget(worker);
            Deliver(_state.Handle(new WorkerLeft(slot, "its worker stopped")));
            if (!_finished) Apply(_slots.Vacate(slot), "its worker stopped");
            return;
        }
    }

    // ---- the parameter server's protocol, guarded by slot ownership ----------------------------

    private void Handle(RegisterWorker m)
    {
        string node = Sender.Path.Address.ToString();
        if ((uint)m.WorkerId >= (uint)_settings.Slots || _slots.HostOf(m.WorkerId) != node || _workers.ContainsKey(m.WorkerId))
        {
            Sender.Tell(new RegistrationRejected(m.WorkerId, $"slot {m.WorkerId} is not assigned to node {node}"));
            return;
        }
        var outbox = _state.Handle(m);
        if (_state.IsRegistered(m.WorkerId))
        {
            _workers[m.WorkerId] = Sender;
            Context.Watch(Sender);
        }
        Deliver(outbox);
    }

    /// <param name="from">The pushing worker (Akka's sender, or the slot's worker named on the tensor channel).</param>
    private void Handle(PushGradient m, IActorRef from)
    {
        if (!IsOwner(m.WorkerId, from))
        {
            from.Tell(new GradientRejected(m.WorkerId, m.ChunkId, m.BaseVersion, RejectionReason.UnknownWorker,
                $"slot {m.WorkerId} is not hosted by this worker (it moved)", _state.Version));
            return;
        }
        _nextChunk[m.WorkerId] = Math.Max(_nextChunk[m.WorkerId], m.ChunkId + 1);
        Deliver(_state.Handle(m), from);
    }

    private void Handle(NonFiniteGradientSkipped m)
    {
        if (!IsOwner(m.WorkerId, Sender)) return;
        _nextChunk[m.WorkerId] = Math.Max(_nextChunk[m.WorkerId], m.ChunkId + 1);
        Deliver(_state.Handle(m));
    }

    private bool IsOwner(int slot, IActorRef from) => _workers.TryGetValue(slot, out var worker) && worker.Equals(from);

    // ---- the tensor channel ----------------------------------------------------------------------

    private void Handle(TensorChannelOpened m)
    {
        if (_finished || !_nodes.ContainsKey(m.Node))
        {
            m.Connection.Close(_finished ? "the run has finished" : $"node {m.Node} has not joined the run");
            return;
        }
        CloseChannel(m.Node, "the node opened a new connection");
        _channels[m.Node] = m.Connection;
        _channelNodes[m.Connection] = m.Node;
        m.Connection.Send(new WelcomeFrame());
    }

    private void Handle(TensorChannelPushed m)
    {
        // The push is the slot's current worker's only if the name and node match: a worker the slot
        // was taken from may still have pushes on the wire. Those are dropped; that worker is stopped.
        if (!_channelNodes.TryGetValue(m.Connection, out var node)) return;
        if (_workers.TryGetValue(m.Push.WorkerId, out var worker) && worker.Path.Name == m.Worker && worker.Path.Address.ToString() == node)
            Handle(m.Push, worker);
    }

    private void Handle(TensorChannelEnded m)
    {
        if (!_channelNodes.Remove(m.Connection, out var node)) return;
        _channels.Remove(node);
        // A node whose connection breaks cannot train: drop it now, as for a crash (a SIGKILLed node is
        // seen here at once, seconds before the failure detector). An orderly close comes with the
        // node's leaving, which membership handles.
        if (!m.Closed.Orderly && !_finished) Drop(node, $"its tensor channel broke ({m.Closed.Reason})");
    }

    private void CloseChannel(string node, string reason)
    {
        if (!_channels.Remove(node, out var connection)) return;
        _channelNodes.Remove(connection);
        connection.Close(reason);
    }

    /// <param name="sender">Whom <see cref="Audience.Sender"/> messages go to.</param>
    private void Deliver(IReadOnlyList<Outgoing> outbox, IActorRef? sender = null)
    {
        sender ??= Sender;
        foreach (var (to, message) in outbox)
        {
            switch (to.Audience)
            {
                case Audience.Worker:
                    if (!_workers.TryGetValue(to.WorkerId, out var worker)) break;
                    // Acks take the worker's node's channel when it has one: behind the round's weights, one path.
                    if (message is GradientApplied applied && _channels.TryGetValue(worker.Path.Address.ToString(), out var channel))
                        channel.Send(new AppliedFrame(applied));
                    else TensorParts.Tell(worker, message, Self);
                    _load.Sent(message);
                    break;
                case Audience.AllWorkers:
                    // Once per node: its agent fans the message out to the workers there.
                    foreach (var node in _workers.Values.Select(w => w.Path.Address.ToString()).Distinct())
                    {
                        if (message is WeightsPublished weights && _channels.TryGetValue(node, out var connection))
                            connection.Send(new WeightsFrame(weights)); // false: it broke, and is reported
                        else if (_nodes.TryGetValue(node, out var entry))
                            TensorParts.Tell(entry.Agent, message, Self);
                        else continue;
                        _load.Sent(message);
                    }
                    break;
                case Audience.Observer:
                    Observe(message);
                    break;
                case Audience.Sender:
                    sender.Tell(message, Self);
                    break;
            }
        }
    }

    private void Observe(ITrainerMessage message)
    {
        switch (message)
        {
            case UpdateApplied u:
                _observer.Tell(u, Self);
                if (_settings.CheckpointEvery > 0 && u.UpdateNumber % _settings.CheckpointEvery == 0 && !_state.IsFinished)
                    _observer.Tell(Checkpoint(), Self);
                break;
            case TrainingCompleted done:
                _finished = true;
                _observer.Tell(Checkpoint(), Self);
                _observer.Tell(_load.Report(), Self);
                foreach (var (agent, _) in _nodes.Values) agent.Tell(new RunFinished(done.Reason, done.Detail, done.Stats.Updates), Self);
                foreach (var node in _channels.Keys.ToArray()) CloseChannel(node, "the run finished");
                _observer.Tell(done, Self);
                break;
            default:
                _observer.Tell(message, Self);
                break;
        }
    }

    private ServerCheckpoint Checkpoint() => new(
        _state.Updates, _state.Version, _state.Weights.ToArray(),
        _rule.State?.Slice(0, _rule.State.Length), (long[])_nextChunk.Clone());
}
