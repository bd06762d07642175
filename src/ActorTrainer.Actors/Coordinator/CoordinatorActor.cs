using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Sharding;
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
/// Sharded (<see cref="TrainingRunSettings.Shards"/> &gt; 1): one server actor per key range, each with
/// its slice of W and of the update rule's state; a <see cref="ShardAssembler"/> joins their
/// snapshots and completions. Progress (<see cref="TrainingCallbacks.OnUpdate"/>) follows shard 0:
/// every shard applies one update per gradient it accepts, so shard 0's sequence stands for the run's.
/// Rejections are reported from every shard (they may differ under ssp); what a worker reports to all
/// shards (non-finite gradients, leaving) is passed on once, from shard 0.
/// </summary>
internal sealed class CoordinatorActor : ReceiveActor
{
    private readonly TrainingRunSettings _settings;
    private readonly IReadOnlyList<IGradientComputer> _computers;
    private readonly float[] _initialWeights;
    private readonly IUpdateRule _rule;
    private readonly TrainingCallbacks _callbacks;
    private readonly TaskCompletionSource<TrainingResult> _completion;
    private readonly RunValidations _run;
    private readonly List<string> _problems = new();
    private IActorRef[] _servers = [];  // (N) shard i's server
    private IUpdateRule[] _shardRules = [];
    private ShardAssembler _shards = null!;
    private int _liveWorkers;

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
        _run = new RunValidations(callbacks, completion);
        Receive<UpdateApplied>(Handle);
        Receive<WeightsPublished>(Handle);
        Receive<TrainingCompleted>(Handle);
        Receive<ServerLoadReported>(Handle);
        Receive<RegistrationRejected>(Handle);
        Receive<RunSnapshot>(Handle);
        Receive<ITrainerEvent>(Handle);
        Receive<StopTraining>(Handle);
        Receive<Terminated>(Handle);
    }

    protected override void PreStart()
    {
        try { StartActors(); }
        catch (Exception e)
        {
            // e.g. a dispatcher of the trainer's HOCON that cannot be created: the run cannot start, and
            // its task must say why (a failing PreStart would otherwise leave it waiting for ever).
            _completion.TrySetException(StartFailure(e));
            Context.Stop(Self);
        }
    }

    /// <summary>Why a run could not start, for the run's task.</summary>
    internal static InvalidOperationException StartFailure(Exception e) =>
        new($"could not start the run's actors: {e.GetBaseException().Message}", e);

    private void StartActors()
    {
        var layout = new ShardLayout(_initialWeights.Length, _settings.Shards);
        _shards = new ShardAssembler(layout);
        _shardRules = layout.Count == 1
            ? [_rule]
            : layout.Ranges.Select(r => ((IShardableUpdateRule)_rule).Slice(r.Offset, r.Count)).ToArray();
        _servers = layout.Ranges.Select(r =>
        {
            var serverSettings = _settings.ToServerSettings(layout, r.Index, _computers.Count, _callbacks.Validate is not null,
                runSnapshots: _callbacks.OnSnapshot is not null);
            var slice = _initialWeights.AsSpan(r.Offset, r.Count).ToArray(); // (Count_i)
            var server = Context.ActorOf(ParameterServerActor.Props(serverSettings, slice, _shardRules[r.Index], Self,
                    pinCpu: _settings.PinThreads ? r.Index : null),
                layout.Count == 1 ? "server" : $"server-{r.Index}");
            Context.Watch(server);
            return server;
        }).ToArray();
        var workerSettings = _settings.ToWorkerSettings();
        for (int id = 0; id < _computers.Count; id++)
            Context.Watch(Context.ActorOf(WorkerActor.Props(id, _servers, _computers[id], workerSettings, layout,
                pinCpu: _settings.PinThreads ? id : null), $"worker-{id}"));
        _liveWorkers = _computers.Count;
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(ex =>
    {
        _problems.Add($"{ex.GetType().Name}: {ex.Message}");
        return Directive.Stop;
    });

    protected override void PostStop() =>
        _completion.TrySetException(new InvalidOperationException("the training run stopped before it completed"));

    private void Handle(UpdateApplied m)
    {
        if (ShardOfSender() == 0) Guard(() => _callbacks.OnUpdate?.Invoke(m));
    }

    private void Handle(WeightsPublished m) => Guard(() =>
    {
        if (_shards.AddSnapshot(ShardOfSender(), m) is { } whole) _run.Validate(whole.Weights, whole.Version, whole.UpdateNumber);
    });

    private void Handle(ServerLoadReported m) => _shards.AddLoad(ShardOfSender(), m);

    private void Handle(RunSnapshot m) => Guard(() =>
    {
        if (_shards.AddRunSnapshot(ShardOfSender(), m) is { } whole) _callbacks.OnSnapshot?.Invoke(whole);
    });

    private void Handle(TrainingCompleted m) => Guard(() =>
    {
        var whole = _shards.AddCompletion(ShardOfSender(), m);
        if (_shards.IsFirstCompletion)
            foreach (var other in _servers.Where(s => !s.Equals(Sender)))
                // Sync: every shard closes the same rounds, and the last round's gradients may still be
                // on their way to the others: they finish at the same update. Otherwise: now.
                other.Tell(new StopTraining($"another shard completed: {m.Detail}",
                    AtUpdate: _settings.Mode == ConsistencyMode.Sync ? m.Stats.Updates : null), Self);
        if (whole is null) return;
        if (_servers.Length > 1) ((IShardableUpdateRule)_rule).Gather(_shardRules);
        _run.Complete(whole, result => result with
        {
            ShardStats = _shards.Completions.Select(c => c!.Stats).ToArray(),
            ServerLoads = _shards.Loads.Where(l => l is not null).Select(l => l!).ToArray(),
        });
        Context.Stop(Self);
    });

    /// <summary>Index of the shard that sent the message being handled (0 when unsharded or not a server).</summary>
    private int ShardOfSender() => Math.Max(0, Array.IndexOf(_servers, Sender));

    private void Handle(RegistrationRejected m)
    {
        _problems.Add($"worker {m.WorkerId} refused: {m.Reason}");
        Guard(() => _callbacks.OnEvent?.Invoke(m));
    }

    private void Handle(ITrainerEvent m)
    {
        // a worker's report to every shard is passed on once
        if ((m is NonFiniteGradientSkipped or WorkerLeft) && ShardOfSender() != 0) return;
        Guard(() => _callbacks.OnEvent?.Invoke(m));
    }

    private void Handle(StopTraining m)
    {
        foreach (var server in _servers) server.Tell(m, Self);
    }

    private void Handle(Terminated t)
    {
        if (Array.IndexOf(_servers, t.ActorRef) >= 0)
        {
            Fail(new InvalidOperationException($"the parameter server stopped before training completed. {string.Join("; ", _problems)}"));
            return;
        }
        // Once a shard has completed the run is ending: workers stop on its "training finished" while
        // the other shards are still being stopped, and the last completion will end the run.
        if (--_liveWorkers == 0 && !_shards.AnyCompleted)
            Fail(new InvalidOperationException(
                $"all {_computers.Count} workers stopped before training completed. {string.Join("; ", _problems)}"));
    }

    /// <summary>A throwing callback fails the run with its exception.</summary>
    private void Guard(Action action)
    {
        if (!_run.Guard(action)) Context.Stop(Self);
    }

    private void Fail(Exception ex)
    {
        _run.Fail(ex);
        Context.Stop(Self);
    }
}
