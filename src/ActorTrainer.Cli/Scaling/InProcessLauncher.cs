using System.Diagnostics;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.Hosting;
using ActorTrainer.Core.Training;
using Akka.Actor;
using Akka.Configuration;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// Runs each configuration in this process: a fresh in-process training run (server shard actors + n
/// worker actors, <see cref="TrainingRun"/>) in one actor system shared by the sweep, after an untimed
/// warm-up run per mode. Per run it records tokens and staleness from the updates (shard 0), the
/// servers' load reports, the workers' compute time (<see cref="TimedComputer"/>), and snapshots of W
/// for the validation curve. Budget mode evaluates the snapshots after the run, so validation never
/// competes with training for the cores; target mode must evaluate online to know when to stop, on
/// the coordinator's thread, and its throughput pays for that.
/// </summary>
public sealed class InProcessLauncher : IScaleLauncher
{
    private readonly IScaleTarget _target;
    private readonly ScaleSettings _settings;
    private readonly SweepProgress _progress;
    private readonly ActorSystem _system;

    public InProcessLauncher(IScaleTarget target, ScaleSettings settings, SweepProgress progress)
    {
        (_target, _settings, _progress) = (target, settings, progress);
        _system = TrainerHocon.LocalSystem("actortrainer-scale");
    }

    public string Description => "in-process (one actor system, server shards and workers on their own threads)";

    /// <summary>Untimed warm-up of every mode's code path (JIT tiers, caches), so the first configurations are not penalised.</summary>
    public async Task WarmUpAsync(CancellationToken ct)
    {
        foreach (var mode in _settings.Modes)
            await TrainingRun.RunAsync(_system, new TrainingRunSettings(mode.Mode, 30, _target.ModelShape, mode.Staleness,
                    maxInFlight: _settings.Train.ExplicitMaxInFlight, shards: _settings.Shards.Max()).WithPushRules(_settings.Train),
                _target.CreateComputers(2, _settings.EffectiveChunks[0]), _target.InitialWeights(), _target.CreateUpdateRule(), cancellationToken: ct);
    }

    public async ValueTask DisposeAsync() => await _system.Terminate();

    public async Task<ConfigResult> RunAsync(ConfigPlan plan, CancellationToken ct)
    {
        var (config, system, initialLoss) = (plan.Config, _system, plan.InitialLoss);
        var computers = _target.CreateComputers(config.Workers, config.Chunk).Select(c => new TimedComputer(c)).ToArray();
        bool online = _settings.Stop == StopRule.Target;
        _progress.Begin(plan.Index, plan.Total, config, plan.MaxUpdates);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clock = new Stopwatch();
        var cumulativeTokens = new List<long> { 0 };             // [u] = tokens applied by update u (shard 0)
        var staleness = new List<long>();                         // per applied gradient (shard 0)
        var snapshots = new List<(double T, long Version, float[]? W, double Loss)>();
        double lastUpdateAt = 0;
        var callbacks = new TrainingCallbacks
        {
            OnUpdate = u =>
            {
                lastUpdateAt = clock.Elapsed.TotalSeconds;
                cumulativeTokens.Add(cumulativeTokens[^1] + u.Tokens);
                for (int c = 0; c < u.WorkerIds.Length; c++) staleness.Add(u.Staleness); // sync: all 0; async/ssp: one contributor
                _progress.OnUpdate(u.UpdateNumber, cumulativeTokens[^1]);
            },
            Validate = (w, version) =>
            {
                double t = clock.Elapsed.TotalSeconds;
                if (!online) { snapshots.Add((t, version, w.ToArray(), double.NaN)); return double.NaN; }
                double loss = _target.ValidationLoss(w);
                snapshots.Add((t, version, null, loss));
                if (loss <= _settings.TargetLoss) stop.Cancel();
                return loss;
            },
        };
        var run = new TrainingRunSettings(config.Mode.Mode, plan.MaxUpdates, _target.ModelShape, config.Mode.Staleness,
            validateEvery: plan.SnapshotEvery, maxInFlight: _settings.Train.ExplicitMaxInFlight, shards: config.Shards).WithPushRules(_settings.Train);
        int gen2 = GC.CollectionCount(2);
        clock.Start();
        var result = await TrainingRun.RunAsync(system, run, computers, _target.InitialWeights(), _target.CreateUpdateRule(), callbacks, stop.Token);
        clock.Stop();
        gen2 = GC.CollectionCount(2) - gen2;
        double wall = lastUpdateAt > 0 ? lastUpdateAt : clock.Elapsed.TotalSeconds;

        double computeSeconds = computers.Sum(c => c.ComputeSeconds);
        long chunks = computers.Sum(c => c.Chunks);
        var r = ConfigResult.Of(config, result, cumulativeTokens, staleness, snapshots, initialLoss, w => _target.ValidationLoss(w), wall,
            serverBusy: result.ServerLoads.Select(l => l.BusyFraction).DefaultIfEmpty(0).Max(),
            workerIdle: Math.Clamp(1 - computeSeconds / (config.Workers * Math.Max(wall, 1e-9)), 0, 1),
            secondsPerChunk: chunks > 0 ? computeSeconds / chunks : 0,
            gen2, reachedTarget: online && stop.IsCancellationRequested && !ct.IsCancellationRequested);
        _progress.End(r);
        return r;
    }
}
