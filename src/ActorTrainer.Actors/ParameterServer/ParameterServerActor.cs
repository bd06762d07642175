using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.Worker;
using Akka.Actor;

namespace ActorTrainer.Actors.ParameterServer;

/// <summary>
/// Thin shell over <see cref="ParameterServerState"/>: receives, lets the state decide, delivers the
/// outbox. Its own bookkeeping is only the address of each registered worker; it watches them, so a
/// worker that dies becomes <see cref="WorkerLeft"/> (a sync round never waits for a dead worker).
/// Runs on <see cref="TrainerHocon.ServerDispatcherId"/>. It also measures its own load (time in
/// handlers, tensor bytes in and out) and reports it as <see cref="ServerLoadReported"/> right before
/// the state's <see cref="TrainingCompleted"/>.
/// </summary>
public sealed class ParameterServerActor : ReceiveActor
{
    private readonly ParameterServerState _state;
    private readonly IActorRef _observer;
    private readonly Dictionary<int, IActorRef> _workers = new();
    private readonly ServerLoadMeter _load = new(); // elapsed counts from the actor's creation

    /// <param name="initialWeights">W at version 0; copied.</param>
    /// <param name="observer">Receives metrics and lifecycle events (the coordinator).</param>
    /// <param name="pinCpu">Pin the server's thread to this CPU index (<see cref="ThreadAffinity"/>), or null.</param>
    public static Props Props(ServerSettings settings, float[] initialWeights, IUpdateRule rule, IActorRef observer, int? pinCpu = null) =>
        Akka.Actor.Props.Create(() => new ParameterServerActor(settings, initialWeights, rule, observer, pinCpu))
            .WithDispatcher(TrainerHocon.ServerDispatcherId);

    private readonly int? _pinCpu;

    public ParameterServerActor(ServerSettings settings, float[] initialWeights, IUpdateRule rule, IActorRef observer, int? pinCpu = null)
    {
        _pinCpu = pinCpu;
        // In process: published snapshots come from a pool and are returned by the workers.
        _state = new ParameterServerState(settings, initialWeights, rule, snapshots: new SnapshotPool(initialWeights.Length));
        _observer = observer;
        Receive<RegisterWorker>(Handle);
        Receive<PushGradient>(Handle);
        Receive<NonFiniteGradientSkipped>(Handle);
        Receive<WorkerLeft>(Handle);
        Receive<StopTraining>(Handle);
        Receive<WorkerSnapshotTaken>(Handle);
        Receive<Terminated>(Handle);
    }

    /// <summary>Runs on the actor's own thread, so this pins that thread.</summary>
    protected override void PreStart()
    {
        if (_pinCpu is { } cpu) ThreadAffinity.PinCurrentThread(cpu);
    }

    /// <summary>Every message: its handler's wall time is added to the busy time.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        long start = _load.Received(message);
        try { return base.AroundReceive(receive, message); }
        finally { _load.Handled(start); }
    }

    private void Handle(RegisterWorker m)
    {
        bool wasRegistered = _state.IsRegistered(m.WorkerId);
        var outbox = _state.Handle(m);
        if (!wasRegistered && _state.IsRegistered(m.WorkerId))
        {
            _workers[m.WorkerId] = Sender;
            Context.Watch(Sender);
        }
        Deliver(outbox);
    }

    private void Handle(PushGradient m) => Deliver(_state.Handle(m));

    private void Handle(NonFiniteGradientSkipped m) => Deliver(_state.Handle(m));

    private void Handle(WorkerLeft m)
    {
        var outbox = _state.Handle(m);
        if (_workers.Remove(m.WorkerId, out var worker)) Context.Unwatch(worker);
        Deliver(outbox);
    }

    private void Handle(StopTraining m) => Deliver(_state.Handle(m));

    private void Handle(WorkerSnapshotTaken m) => Deliver(_state.Handle(m));

    private void Handle(Terminated t)
    {
        foreach (var (id, worker) in _workers)
        {
            if (!worker.Equals(t.ActorRef)) continue;
            _workers.Remove(id);
            // Terminated overtakes the worker's last messages (system messages go first): queue the
            // leave behind them, so a snapshot answer the worker sent before stopping still counts.
            Self.Tell(new WorkerLeft(id, "terminated"), Self);
            return;
        }
    }

    private void Deliver(IReadOnlyList<Outgoing> outbox)
    {
        foreach (var (to, message) in outbox)
        {
            switch (to.Audience)
            {
                case Audience.Worker:
                    if (_workers.TryGetValue(to.WorkerId, out var worker)) { worker.Tell(message, Self); _load.Sent(message); }
                    break;
                case Audience.AllWorkers:
                    var lease = (message as WeightsPublished)?.Lease;
                    lease?.AddHolders(_workers.Count); // before any receiver can release
                    foreach (var w in _workers.Values) { w.Tell(message, Self); _load.Sent(message); }
                    lease?.Release();                  // the server's own hold
                    break;
                case Audience.Observer:
                    if (message is TrainingCompleted) _observer.Tell(_load.Report(), Self);
                    _observer.Tell(message, Self);
                    break;
                case Audience.Sender:
                    Sender.Tell(message, Self);
                    break;
            }
        }
    }
}
