using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Training;
using Akka.Actor;

namespace ActorTrainer.Actors.Coordinator;

/// <summary>
/// Runs one in-process training run: starts the parameter server and one worker per computer as its
/// children, is the server's observer (metrics → callbacks, periodic W → validation hook), and
/// completes the run's task when the server reports <see cref="TrainingCompleted"/> — or fails it when
/// the server or every worker is gone first. A failing child is stopped, not restarted: a restarted
/// worker would have lost its computer's position. Runs on the compute dispatcher because the
/// validation hook is CPU-bound.
/// </summary>
internal sealed class CoordinatorActor : ReceiveActor
{
    private readonly TrainingRunSettings _settings;
    private readonly IReadOnlyList<IGradientComputer> _computers;
    private readonly float[] _initialWeights;
    private readonly IUpdateRule _rule;
    private readonly TrainingCallbacks _callbacks;
    private readonly TaskCompletionSource<TrainingResult> _completion;
    private readonly List<ValidationResult> _validations = new();
    private readonly List<string> _problems = new();
    private IActorRef _server = ActorRefs.Nobody;
    private int _liveWorkers;
    private long _lastValidatedVersion = -1;

    public static Props Props(
        TrainingRunSettings settings, IReadOnlyList<IGradientComputer> computers, float[] initialWeights,
        IUpdateRule rule, TrainingCallbacks callbacks, TaskCompletionSource<TrainingResult> completion) =>
        Akka.Actor.Props.Create(() => new CoordinatorActor(settings, computers, initialWeights, rule, callbacks, completion))
            .WithDispatcher(TrainerHocon.ComputeDispatcherId);

    public CoordinatorActor(
        TrainingRunSettings settings, IReadOnlyList<IGradientComputer> computers, float[] initialWeights,
        IUpdateRule rule, TrainingCallbacks callbacks, TaskCompletionSource<TrainingResult> completion)
    {
        _settings = settings; _computers = computers; _initialWeights = initialWeights;
        _rule = rule; _callbacks = callbacks; _completion = completion;
        Receive<UpdateApplied>(Handle);
        Receive<WeightsPublished>(Handle);
        Receive<TrainingCompleted>(Handle);
        Receive<RegistrationRejected>(Handle);
        Receive<ITrainerEvent>(Handle);
        Receive<StopTraining>(Handle);
        Receive<Terminated>(Handle);
    }

    protected override void PreStart()
    {
        var serverSettings = _settings.ToServerSettings(_initialWeights.Length, _computers.Count, _callbacks.Validate is not null);
        _server = Context.ActorOf(ParameterServerActor.Props(serverSettings, _initialWeights, _rule, Self), "server");
        Context.Watch(_server);
        var workerSettings = _settings.ToWorkerSettings();
        for (int id = 0; id < _computers.Count; id++)
            Context.Watch(Context.ActorOf(WorkerActor.Props(id, _server, _computers[id], workerSettings), $"worker-{id}"));
        _liveWorkers = _computers.Count;
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(ex =>
    {
        _problems.Add($"{ex.GetType().Name}: {ex.Message}");
        return Directive.Stop;
    });

    protected override void PostStop() =>
        _completion.TrySetException(new InvalidOperationException("the training run stopped before it completed"));

    private void Handle(UpdateApplied m) => Guard(() => _callbacks.OnUpdate?.Invoke(m));

    private void Handle(WeightsPublished m) => Guard(() => RunValidation(m.Weights, m.Version, m.UpdateNumber));

    private void Handle(TrainingCompleted m) => Guard(() =>
    {
        if (m.Version != _lastValidatedVersion) RunValidation(m.Weights, m.Version, m.Stats.Updates);
        _completion.TrySetResult(new TrainingResult(m.Weights, m.Version, m.Reason, m.Detail, m.Stats, _validations.ToArray()));
        Context.Stop(Self);
    });

    private void Handle(RegistrationRejected m)
    {
        _problems.Add($"worker {m.WorkerId} refused: {m.Reason}");
        Guard(() => _callbacks.OnEvent?.Invoke(m));
    }

    private void Handle(ITrainerEvent m) => Guard(() => _callbacks.OnEvent?.Invoke(m));

    private void Handle(StopTraining m) => _server.Tell(m, Self);

    private void Handle(Terminated t)
    {
        if (t.ActorRef.Equals(_server))
        {
            Fail(new InvalidOperationException($"the parameter server stopped before training completed. {string.Join("; ", _problems)}"));
            return;
        }
        if (--_liveWorkers == 0)
            Fail(new InvalidOperationException(
                $"all {_computers.Count} workers stopped before training completed. {string.Join("; ", _problems)}"));
    }

    private void RunValidation(float[] weights, long version, long updateNumber)
    {
        if (_callbacks.Validate is not { } validate) return;
        var result = new ValidationResult(version, updateNumber, validate(weights, version));
        _lastValidatedVersion = version;
        _validations.Add(result);
        _callbacks.OnValidation?.Invoke(result);
    }

    /// <summary>A throwing callback fails the run with its exception.</summary>
    private void Guard(Action action)
    {
        try { action(); }
        catch (Exception ex) { Fail(ex); }
    }

    private void Fail(Exception ex)
    {
        _completion.TrySetException(ex);
        Context.Stop(Self);
    }
}
