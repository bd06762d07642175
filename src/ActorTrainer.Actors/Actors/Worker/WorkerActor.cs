using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Training;
using Akka.Actor;

namespace ActorTrainer.Actors.Worker;

/// <summary>
/// Thin shell over <see cref="WorkerState"/>. Registers with the server on start, then lets the
/// state decide when to compute; one chunk per <see cref="ComputeNextChunk"/> self-message, so weights
/// that arrive during a chunk are taken before the next. Runs on
/// <see cref="TrainerHocon.ComputeDispatcherId"/> (a pinned thread): the computer's CPU-heavy
/// <c>ComputeNext</c> never blocks the default dispatcher. Stops itself when the state stops
/// (registration refused, training finished) or when the server dies.
/// </summary>
public sealed class WorkerActor : ReceiveActor
{
    private readonly WorkerState _state;
    private readonly IActorRef _server;

    /// <param name="computer">Owned by this worker from now on; used only on its thread.</param>
    public static Props Props(int workerId, IActorRef server, IGradientComputer computer, WorkerSettings settings) =>
        Akka.Actor.Props.Create(() => new WorkerActor(workerId, server, computer, settings))
            .WithDispatcher(TrainerHocon.ComputeDispatcherId);

    public WorkerActor(int workerId, IActorRef server, IGradientComputer computer, WorkerSettings settings)
    {
        _state = new WorkerState(workerId, computer, settings);
        _server = server;
        Receive<WorkerRegistered>(Handle);
        Receive<RegistrationRejected>(Handle);
        Receive<WeightsPublished>(Handle);
        Receive<GradientApplied>(Handle);
        Receive<GradientRejected>(Handle);
        Receive<ComputeNextChunk>(Handle);
        Receive<Terminated>(Handle);
    }

    protected override void PreStart()
    {
        Context.Watch(_server);
        Deliver(_state.Start());
    }

    private void Handle(WorkerRegistered m) => Deliver(_state.Handle(m));
    private void Handle(RegistrationRejected m) => Deliver(_state.Handle(m));
    private void Handle(WeightsPublished m) => Deliver(_state.Handle(m));
    private void Handle(GradientApplied m) => Deliver(_state.Handle(m));
    private void Handle(GradientRejected m) => Deliver(_state.Handle(m));
    private void Handle(ComputeNextChunk m) => Deliver(_state.Handle(m));

    private void Handle(Terminated t)
    {
        if (t.ActorRef.Equals(_server)) Context.Stop(Self);
    }

    private void Deliver(IReadOnlyList<WorkerOutput> outbox)
    {
        foreach (var (to, message) in outbox)
            (to == WorkerTarget.Server ? _server : Self).Tell(message, Self);
        if (_state.Phase == WorkerPhase.Stopped) Context.Stop(Self);
    }
}
