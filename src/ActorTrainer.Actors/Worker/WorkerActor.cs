using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Sharding;
using ActorTrainer.Core.Training;
using Akka.Actor;

namespace ActorTrainer.Actors.Worker;

/// <summary>
/// Thin shell over <see cref="WorkerState"/>. Registers with the server on start, then lets the
/// state decide when to compute; one chunk per <see cref="ComputeNextChunk"/> self-message, so weights
/// that arrive during a chunk are taken before the next. Runs on
/// <see cref="TrainerHocon.ComputeDispatcherId"/> (a pinned thread): the computer's CPU-heavy
/// <c>ComputeNext</c> never blocks the default dispatcher. Stops itself when the state stops
/// (registration refused, training finished) or when the server (any shard of it) dies.
/// With a sharded server it holds one address per shard and tells the state which shard a reply
/// came from by its sender.
/// </summary>
public sealed class WorkerActor : ReceiveActor
{
    private readonly WorkerState _state;
    private readonly IActorRef[] _servers; // (N) shard i's address; one entry when unsharded
    private readonly int? _pinCpu;         // CPU index the thread is pinned to, if any

    /// <param name="computer">Owned by this worker from now on; used only on its thread.</param>
    /// <param name="server">A local actor: the parameter server, or on a cluster worker node its agent,
    /// which relays to the server on the node's one tensor connection.</param>
    public static Props Props(int workerId, IActorRef server, IGradientComputer computer, WorkerSettings settings) =>
        Props(workerId, [server], computer, settings, layout: null);

    /// <param name="servers">Shard i's address at index i (one per range of <paramref name="layout"/>).</param>
    /// <param name="layout">How W is split across the shards; null = one unsharded server.</param>
    /// <param name="pinCpu">Pin the worker's thread to this CPU index (<see cref="ThreadAffinity"/>), or null.</param>
    public static Props Props(
        int workerId, IReadOnlyList<IActorRef> servers, IGradientComputer computer, WorkerSettings settings, ShardLayout? layout,
        int? pinCpu = null)
    {
        var copy = servers.ToArray();
        return Akka.Actor.Props.Create(() => new WorkerActor(workerId, copy, computer, settings, layout, pinCpu))
            .WithDispatcher(TrainerHocon.ComputeDispatcherId);
    }

    public WorkerActor(int workerId, IActorRef[] servers, IGradientComputer computer, WorkerSettings settings, ShardLayout? layout,
        int? pinCpu = null)
    {
        _pinCpu = pinCpu;
        ArgumentNullException.ThrowIfNull(servers);
        _state = new WorkerState(workerId, computer, settings, layout);
        if (servers.Length != _state.Layout.Count)
            throw new ArgumentException($"{servers.Length} server addresses for {_state.Layout.Count} shard(s)", nameof(servers));
        _servers = servers;
        Receive<WorkerRegistered>(Handle);
        Receive<RegistrationRejected>(Handle);
        Receive<WeightsPublished>(Handle);
        Receive<GradientApplied>(Handle);
        Receive<GradientRejected>(Handle);
        Receive<SnapshotRequested>(Handle);
        Receive<ComputeNextChunk>(Handle);
        Receive<Terminated>(Handle);
    }

    protected override void PreStart()
    {
        if (_pinCpu is { } cpu) ThreadAffinity.PinCurrentThread(cpu); // PreStart runs on the actor's own thread
        foreach (var server in _servers) Context.Watch(server);
        Deliver(_state.Start());
    }

    private void Handle(WorkerRegistered m) => Deliver(_state.Handle(m, ShardOfSender()));
    private void Handle(RegistrationRejected m) => Deliver(_state.Handle(m, ShardOfSender()));
    private void Handle(WeightsPublished m) => Deliver(_state.Handle(m, ShardOfSender()));
    private void Handle(GradientApplied m) => Deliver(_state.Handle(m, ShardOfSender()));
    private void Handle(GradientRejected m) => Deliver(_state.Handle(m, ShardOfSender()));
    private void Handle(SnapshotRequested m) => Deliver(_state.Handle(m, ShardOfSender()));
    private void Handle(ComputeNextChunk m) => Deliver(_state.Handle(m));

    private void Handle(Terminated t)
    {
        if (Array.IndexOf(_servers, t.ActorRef) >= 0) Context.Stop(Self);
    }

    /// <summary>Which shard sent the message being handled; unsharded, always 0.</summary>
    private int ShardOfSender()
    {
        if (_servers.Length == 1) return 0;
        int shard = Array.IndexOf(_servers, Sender);
        if (shard < 0) throw new InvalidOperationException($"worker {_state.WorkerId} got a server message from {Sender}, which is not one of its shards");
        return shard;
    }

    private void Deliver(IReadOnlyList<Outgoing> outbox)
    {
        foreach (var (to, message) in outbox)
        {
            if (to.Audience == Audience.Server) _servers[to.Shard].Tell(message, Self);
            else Self.Tell(message, Self);
        }
        if (_state.Phase == WorkerPhase.Stopped) Context.Stop(Self);
    }
}
