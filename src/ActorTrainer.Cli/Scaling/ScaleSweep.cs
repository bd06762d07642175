using System.Diagnostics;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Hosting;
using ActorTrainer.Core.Training;
using Akka.Actor;
using Akka.Configuration;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// Runs a sweep in this process: every configuration is a fresh in-process training run (server
/// shard actors + n worker actors, <see cref="TrainingRun"/>) from the same initial W, one after the
/// other in one actor system, after an untimed warm-up run. Per run it records tokens and staleness
/// from the updates (shard 0), the servers' load reports, the workers' compute time
/// (<see cref="TimedComputer"/>), and snapshots of W for the validation curve. Budget mode evaluates
/// the snapshots after the run, so validation never competes with training for the cores; target mode
/// must evaluate online to know when to stop, on the coordinator's thread, and its throughput pays
/// for that.
/// </summary>
public sealed class ScaleSweep
{
    private readonly IScaleTarget _target;
    private readonly ScaleSettings _settings;
    private readonly SweepProgress _progress;

    public ScaleSweep(IScaleTarget target, ScaleSettings settings, SweepProgress progress)
    {
        _target = target ?? throw new ArgumentNullException(nameof(target));
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _progress = progress ?? throw new ArgumentNullException(nameof(progress));
        if (settings.Validate() is { } problem) throw new ArgumentException(problem, nameof(settings));
        int tooMany = settings.Shards.FirstOrDefault(s => s > target.ParameterCount);
        if (tooMany > 0) throw new ArgumentException($"{tooMany} shards for {target.ParameterCount} parameters: every shard needs at least one", nameof(settings));
    }

    public async Task<SweepResult> RunAsync(CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        string? loadBefore = MachineInfo.LoadAverage();
        var configs = _settings.Configurations();
        var results = new List<ConfigResult>();
        var system = ActorSystem.Create("actortrainer-scale",
            ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING").WithFallback(TrainerHocon.Config));
        try
        {
            // Untimed warm-up of every mode's code path (JIT tiers, caches), so the first configurations are not penalised.
            foreach (var mode in _settings.Modes)
                await TrainingRun.RunAsync(system, new TrainingRunSettings(mode.Mode, 30, _target.ModelShape, mode.Staleness, shards: _settings.Shards.Max()),
                    _target.CreateComputers(2, _settings.EffectiveChunks[0]), _target.InitialWeights(), _target.CreateUpdateRule(), cancellationToken: ct);
            double initialLoss = _target.ValidationLoss(_target.InitialWeights());
            for (int i = 0; i < configs.Count && !ct.IsCancellationRequested; i++)
                results.Add(await RunOneAsync(system, configs[i], i + 1, configs.Count, initialLoss, ct));
        }
        finally
        {
            await system.Terminate();
        }

        // Time to the target: the given one, or the loss every configuration reached.
        bool given = _settings.TargetLoss is not null;
        double target = _settings.TargetLoss ?? results.Select(r => r.FinalLoss).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
        var withTarget = results.Select(r => r with { TimeToTarget = ScaleMetrics.TimeToTarget(r.Curve, target) }).ToArray();
        var final = ScaleMetrics.WithSpeedups(withTarget, MachineInfo.Cores);

        CapacitySummary? capacity = null;
        if (_settings.CapacitySeconds > 0 && !ct.IsCancellationRequested)
        {
            _progress.Note($"measuring server capacity at {_target.ParameterCount:N0} parameters ({_settings.CapacitySeconds:0.#} s) and copy bandwidth…");
            var cap = ServerCapacity.Measure(_target.ParameterCount, _target.Optimizer, _settings.CapacitySeconds);
            double bandwidth = MemoryBandwidth.MeasureCopy();
            var ones = final.Where(r => r.Config.Workers == 1 && r.SecondsPerChunk > 0).ToArray();
            double rate = ones.Length > 0 ? 1 / ones.Average(r => r.SecondsPerChunk) : double.NaN;
            capacity = new CapacitySummary(cap, bandwidth, rate);
        }
        return new SweepResult(final, _settings, _target.Description, MachineInfo.Cores, loadBefore, MachineInfo.LoadAverage(),
            clock.Elapsed.TotalSeconds, target, given, capacity);
    }

    private async Task<ConfigResult> RunOneAsync(ActorSystem system, ScaleConfig config, int index, int total, double initialLoss, CancellationToken ct)
    {
        var computers = _target.CreateComputers(config.Workers, config.Chunk).Select(c => new TimedComputer(c)).ToArray();
        long tokensPerUpdate = (long)computers[0].TokensPerChunk * (config.Mode.Mode == ConsistencyMode.Sync ? config.Workers : 1);
        long maxUpdates = Math.Max(1, (_settings.TokenBudget + tokensPerUpdate - 1) / tokensPerUpdate);
        int validateEvery = (int)Math.Max(1, maxUpdates / _settings.Points);
        bool online = _settings.Stop == StopRule.Target;
        _progress.Begin(index, total, config, maxUpdates);

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
        var run = new TrainingRunSettings(config.Mode.Mode, maxUpdates, _target.ModelShape, config.Mode.Staleness,
            validateEvery: validateEvery, shards: config.Shards);
        int gen2 = GC.CollectionCount(2);
        clock.Start();
        var result = await TrainingRun.RunAsync(system, run, computers, _target.InitialWeights(), _target.CreateUpdateRule(), callbacks, stop.Token);
        clock.Stop();
        gen2 = GC.CollectionCount(2) - gen2;
        double wall = lastUpdateAt > 0 ? lastUpdateAt : clock.Elapsed.TotalSeconds;

        // Validation curve: W0 at time 0, then W at every snapshot (evaluated now in budget mode), in update order.
        var curve = new List<CurvePoint> { new(0, 0, 0, 0, initialLoss) };
        for (int i = 0; i < snapshots.Count && i < result.Validations.Count; i++)
        {
            var (t, version, w, loss) = snapshots[i];
            long update = result.Validations[i].UpdateNumber;
            long tokens = cumulativeTokens[(int)Math.Min(update, cumulativeTokens.Count - 1)];
            curve.Add(new CurvePoint(t, update, version, tokens, w is null ? loss : _target.ValidationLoss(w)));
        }

        var counts = new long[(staleness.Count == 0 ? 0 : staleness.Max()) + 1];
        foreach (long s in staleness) counts[s]++;
        double computeSeconds = computers.Sum(c => c.ComputeSeconds);
        long chunks = computers.Sum(c => c.Chunks);
        var r = new ConfigResult
        {
            Config = config,
            Tokens = cumulativeTokens[^1],
            Updates = result.Stats.Updates,
            WallSeconds = wall,
            FinalLoss = curve[^1].Version == result.Version ? curve[^1].Loss : _target.ValidationLoss(result.Weights),
            GradientsApplied = result.Stats.GradientsApplied,
            GradientsRejected = result.Stats.TotalRejections,
            StalenessCounts = counts,
            StalenessMean = ScaleMetrics.Mean(counts),
            StalenessP50 = ScaleMetrics.Percentile(counts, 0.5),
            StalenessP99 = ScaleMetrics.Percentile(counts, 0.99),
            StalenessMax = counts.Length - 1,
            ServerBusy = result.ServerLoads.Select(l => l.BusyFraction).DefaultIfEmpty(0).Max(),
            WorkerIdle = Math.Clamp(1 - computeSeconds / (config.Workers * Math.Max(wall, 1e-9)), 0, 1),
            SecondsPerChunk = chunks > 0 ? computeSeconds / chunks : 0,
            BytesSent = result.ServerLoads.Sum(l => l.TensorBytesReceived),
            BytesReceived = result.ServerLoads.Sum(l => l.TensorBytesSent),
            Gen2Collections = gen2,
            Completion = online && stop.IsCancellationRequested && !ct.IsCancellationRequested ? "target" : result.Reason.ToString(),
            Curve = curve,
        };
        _progress.End(r);
        return r;
    }
}
