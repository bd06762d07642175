using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using Akka.Actor;

namespace ActorTrainer.Actors.Cluster;

/// <summary>
/// The cluster run's observer, on the parameter server's node: what the coordinator is to an
/// in-process run, minus starting the actors. Hands every update and event to the host's callbacks,
/// runs validation on the W snapshots the server sends every ValidateEvery updates, passes
/// checkpoints on, and completes the run's task on <see cref="TrainingCompleted"/>. A throwing
/// callback fails the run. Runs on the compute dispatcher (validation is CPU-bound).
/// <see cref="StopTraining"/> sent here is forwarded to the server once it has been heard from.
/// </summary>
public sealed class ClusterRunObserver : ReceiveActor
{
    private readonly TrainingCallbacks _callbacks;
    private readonly Action<ServerCheckpoint> _onCheckpoint;
    private readonly TaskCompletionSource<TrainingResult> _completion;
    private readonly RunValidations _run;
    private IActorRef? _server;

    public static Props Props(TrainingCallbacks callbacks, Action<ServerCheckpoint> onCheckpoint, TaskCompletionSource<TrainingResult> completion) =>
        Akka.Actor.Props.Create(() => new ClusterRunObserver(callbacks, onCheckpoint, completion))
            .WithDispatcher(TrainerHocon.ComputeDispatcherId);

    public ClusterRunObserver(TrainingCallbacks callbacks, Action<ServerCheckpoint> onCheckpoint, TaskCompletionSource<TrainingResult> completion)
    {
        _callbacks = callbacks; _onCheckpoint = onCheckpoint; _completion = completion;
        _run = new RunValidations(callbacks, completion);
        Receive<UpdateApplied>(m => Guard(() => _callbacks.OnUpdate?.Invoke(m)));
        Receive<WeightsPublished>(m => Guard(() => _run.Validate(m.Weights, m.Version, m.UpdateNumber)));
        Receive<ServerCheckpoint>(m => Guard(() => _onCheckpoint(m)));
        Receive<TrainingCompleted>(Handle);
        Receive<ServerFailed>(m =>
        {
            _completion.TrySetException(new ServerFailedException($"the parameter server failed: {m.Detail}"));
            Context.Stop(Self);
        });
        Receive<ITrainerEvent>(m => Guard(() => _callbacks.OnEvent?.Invoke(m)));
        Receive<StopTraining>(m => _server?.Tell(m, Self));
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        if (message is ITrainerMessage and not StopTraining && !Sender.IsNobody()) _server = Sender;
        return base.AroundReceive(receive, message);
    }

    protected override void PostStop() =>
        _completion.TrySetException(new RunInterruptedException("the run's observer stopped before training completed (the node is shutting down)"));

    private void Handle(TrainingCompleted m) => Guard(() =>
    {
        _run.Complete(m);
        Context.Stop(Self);
    });

    private void Guard(Action action)
    {
        if (!_run.Guard(action)) Context.Stop(Self);
    }
}

/// <summary>The run ended because the parameter server failed (<see cref="ServerFailed"/>).</summary>
public sealed class ServerFailedException(string message) : Exception(message);

/// <summary>The run ended without completing because its node stopped (shutdown, downed), not because something failed.</summary>
public sealed class RunInterruptedException(string message) : Exception(message);
