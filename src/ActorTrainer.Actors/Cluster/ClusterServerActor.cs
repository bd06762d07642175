using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.TensorChannel;
using Akka.Actor;
using Akka.Cluster;

namespace ActorTrainer.Actors.Cluster;

/// <summary>
/// The parameter server of a cluster run, at /user/server on the active ps node (<see cref="ClusterNode.ServerName"/>): a shell over
/// <see cref="ClusterServerState"/>, which holds every rule. It turns what arrives into the state's
/// messages — <see cref="JoinRun"/> over Akka.Remote; Hello, and every message after it, from each
/// node's one tensor connection (<see cref="TensorChannelListener"/>, in the connection's order, through
/// this mailbox); membership events and broken connections as <see cref="NodeDropped"/> — and delivers
/// the state's outbox: the answer to a join over Akka.Remote, everything else for a node on its
/// connection, in outbox order, the rest to the observer. Runs on <see cref="TrainerHocon.ServerDispatcherId"/>.
/// </summary>
public sealed class ClusterServerActor : ReceiveActor
{
    private readonly ClusterServerState _state;
    private readonly IActorRef _observer;
    private readonly int _slots;
    private readonly int _maxFloats;
    private readonly ServerLoadMeter _load = new();                // busy time and tensor bytes, reported at the end
    private readonly TensorChannelListener _channel;
    private readonly Dictionary<string, IActorRef> _agents = new();              // node → its agent (for the join's answer)
    private readonly Dictionary<string, TensorConnection> _connections = new();  // node → its tensor connection
    private readonly List<TensorConnection> _closing = new();                    // closed in order, maybe still sending
    private readonly Dictionary<TensorConnection, string> _nodes = new();        // and back
    private bool _failed;

    /// <param name="initialWeights">W at version 0; copied.</param>
    /// <param name="observer">A local actor: metrics, membership events, checkpoints, completion.</param>
    /// <param name="channel">The node's bound tensor channel listener (accepting from PreStart on).</param>
    /// <param name="hiddenPerSlot">B×H: the largest h a frame carries (frames beyond max(P, B×H) floats are corrupt).</param>
    /// <param name="resume">A checkpoint to continue the run from (see <see cref="ClusterServerState"/>), or null.</param>
    public static Props Props(ClusterRunSettings settings, float[] initialWeights, OptimizerUpdateRule rule, IActorRef observer,
        TensorChannelListener channel, int hiddenPerSlot, ServerCheckpoint? resume = null) =>
        Akka.Actor.Props.Create(() => new ClusterServerActor(settings, initialWeights, rule, observer, channel, hiddenPerSlot, resume))
            .WithDispatcher(TrainerHocon.ServerDispatcherId);

    public ClusterServerActor(ClusterRunSettings settings, float[] initialWeights, OptimizerUpdateRule rule, IActorRef observer,
        TensorChannelListener channel, int hiddenPerSlot, ServerCheckpoint? resume)
    {
        _channel = channel;
        _state = new ClusterServerState(settings, initialWeights, rule, channel.Port, resume);
        _observer = observer;
        _slots = settings.Slots;
        _maxFloats = Math.Max(initialWeights.Length, hiddenPerSlot);
        Receive<JoinRun>(m =>
        {
            string node = Sender.Path.Address.ToString();
            _agents[node] = Sender;
            Deliver(_state.Handle(node, m));
        });
        Receive<TensorChannelOpened>(Handle);
        Receive<TensorChannelReceived>(Handle);
        Receive<TensorChannelEnded>(Handle);
        Receive<StopTraining>(m => Deliver(_state.Handle(m)));
        Receive<ClusterEvent.UnreachableMember>(m => Drop(m.Member.Address.ToString(), "it became unreachable"));
        Receive<ClusterEvent.MemberLeft>(m => Drop(m.Member.Address.ToString(), "it is leaving the cluster"));
        Receive<ClusterEvent.MemberExited>(m => Drop(m.Member.Address.ToString(), "it left the cluster"));
        Receive<ClusterEvent.MemberRemoved>(m => Drop(m.Member.Address.ToString(), "it was removed from the cluster"));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    protected override void PreStart()
    {
        _channel.Start(Self, _maxFloats);
        _observer.Tell(new ServerStarted(_slots));
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop()
    {
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        _channel.Dispose();
        foreach (var connection in _connections.Values) connection.Close("the parameter server stopped");
        // The run's last frames (its RunFinished behind the last weights) leave before this node may exit: over a
        // slow link they take a while, and a worker node that loses them waits for a server that will not come.
        Task.WaitAll(_closing.Concat(_connections.Values).Select(c => c.Ended).ToArray(), ClosingPatience);
    }

    /// <summary>How long a stopping server waits for its connections' goodbyes to leave.</summary>
    private static readonly TimeSpan ClosingPatience = TensorConnection.OrderlyCloseWait + TimeSpan.FromSeconds(5);

    /// <summary>Busy time and tensor bytes are measured around every message. A handler that throws fails
    /// the run (<see cref="Fail"/>): under default supervision the server would be
    /// restarted with W at version 0 and no nodes, and every node would wait for ever.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (message is TensorChannelReceived r) _load.Received(r.Message);
            return base.AroundReceive(receive, message);
        }
        catch (Exception e) when (!_failed)
        {
            Fail(e, message is TensorChannelReceived r ? r.Message : message);
            return true;
        }
        finally { _load.Handled(start); }
    }

    /// <summary>Ends the run with the error: the observer hears of it, and the server stops (PostStop closes
    /// the connections; worker nodes see them close and leave).</summary>
    private void Fail(Exception e, object message)
    {
        _failed = true;
        _observer.Tell(new ServerFailed($"{e.GetType().Name} while handling {message.GetType().Name}: {e.Message}"), Self);
        Context.Stop(Self);
    }

    private void Drop(string node, string reason)
    {
        _agents.Remove(node);
        Deliver(_state.Handle(node, new NodeDropped(reason)));
    }

    private void Handle(TensorChannelOpened m)
    {
        if (_connections.ContainsKey(m.Node) || _nodes.ContainsKey(m.Connection))
        {
            // Never replaces the first: the state's rules are for the node's one connection.
            string reason = $"node {m.Node} already has a tensor connection";
            m.Connection.Close(reason);
            _observer.Tell(new ConnectionRefused(m.Node, reason + (m.Connection.PeerName is { } name ? $" (this one's certificate is node '{name}')" : "")), Self);
            return;
        }
        _connections[m.Node] = m.Connection;
        _nodes[m.Connection] = m.Node;
        Deliver(_state.Handle(m.Node, new NodeConnected(m.Epoch, m.Connection.PeerName)));
    }

    private void Handle(TensorChannelReceived m)
    {
        if (_nodes.TryGetValue(m.Connection, out var node)) Deliver(_state.Handle(node, m.Message));
    }

    private void Handle(TensorChannelEnded m)
    {
        if (!_nodes.Remove(m.Connection, out var node)) return;
        _connections.Remove(node);
        // A node whose connection ends cannot train: drop it now (a SIGKILLed node is seen here at once,
        // seconds before the failure detector).
        Deliver(_state.Handle(node, m.Closed.Orderly ? new NodeDropped($"it closed its tensor channel ({m.Closed.Reason})")
            : new NodeDropped($"its tensor channel broke ({m.Closed.Reason})", ConnectionBroke: true)));
    }

    private void Deliver(IReadOnlyList<ClusterOutgoing> outbox)
    {
        foreach (var (node, message) in outbox)
        {
            if (node is null)
            {
                if (message is TrainingCompleted) _observer.Tell(_load.Report(), Self);
                _observer.Tell(message, Self);
                continue;
            }
            switch (message)
            {
                case RunJoined or RunJoinRejected:
                    if (_agents.TryGetValue(node, out var agent)) agent.Tell(message, Self);
                    if (message is RunJoinRejected) _agents.Remove(node);
                    break;
                case CloseChannel close:
                    if (_connections.Remove(node, out var closing))
                    {
                        _nodes.Remove(closing);
                        closing.Close(close.Reason);
                        _closing.RemoveAll(c => c.Ended.IsCompleted);
                        _closing.Add(closing);
                    }
                    break;
                case DownMember:
                    if (Address.TryParse(node, out var member)) Akka.Cluster.Cluster.Get(Context.System).Down(member);
                    break;
                case WelcomeNode:
                    if (_connections.TryGetValue(node, out var welcomed)) welcomed.Send(new WelcomeFrame());
                    break;
                default:
                    if (!_connections.TryGetValue(node, out var connection)) break;
                    connection.Send(new MessageFrame(message)); // false: it broke, and that is reported
                    _load.Sent(message);
                    break;
            }
        }
    }
}
