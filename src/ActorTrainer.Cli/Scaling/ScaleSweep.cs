using System.Diagnostics;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// Runs a sweep: every configuration from the same initial W, one after the other, through the
/// chosen <see cref="IScaleLauncher"/> (in this process or as node processes); then derives time to
/// target, speedups and efficiencies from the measured results and measures one server's capacity.
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

    private string _launcherDescription = "";
    private Simulation.SimulationReport? _simulation;

    private IScaleLauncher CreateLauncher() => _settings.Launcher switch
    {
        Launcher.Cluster => new ClusterLauncher(_target, _settings, _progress),
        Launcher.Sim => new Simulation.SimLauncher(_target, _settings, _progress),
        _ => new InProcessLauncher(_target, _settings, _progress),
    };

    /// <summary>The update budget (enough updates for the token budget) and the snapshot interval. An
    /// update takes one push per worker in sync mode, one push otherwise; a push covers --local-steps chunks.</summary>
    private ConfigPlan Plan(ScaleConfig config, int index, int total, double initialLoss)
    {
        long tokensPerUpdate = (long)_settings.Train.Batch * config.Chunk * _settings.Train.LocalSteps * (config.Mode.Mode == ConsistencyMode.Sync ? config.Workers : 1);
        long maxUpdates = Math.Max(1, (_settings.TokenBudget + tokensPerUpdate - 1) / tokensPerUpdate);
        return new ConfigPlan(config, index, total, maxUpdates, (int)Math.Max(1, maxUpdates / _settings.Points), initialLoss);
    }

    public async Task<SweepResult> RunAsync(CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        string? loadBefore = MachineInfo.LoadAverage();
        var configs = _settings.Configurations();
        var results = new List<ConfigResult>();
        await using (var launcher = CreateLauncher())
        {
            await launcher.WarmUpAsync(ct);
            double initialLoss = _target.ValidationLoss(_target.InitialWeights());
            for (int i = 0; i < configs.Count && !ct.IsCancellationRequested; i++)
                results.Add(await launcher.RunAsync(Plan(configs[i], i + 1, configs.Count, initialLoss), ct));
            _launcherDescription = launcher.Description;
            _simulation = (launcher as Simulation.SimLauncher)?.Report;
        }

        // Time to the target: the given one, or the loss every configuration reached.
        bool given = _settings.TargetLoss is not null;
        double target = _settings.TargetLoss ?? results.Select(r => r.FinalLoss).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
        var withTarget = results.Select(r => r with { TimeToTarget = ScaleMetrics.TimeToTarget(r.Curve, target) }).ToArray();
        // simulated workers have the cores --sim-cores gives them, unlimited by default (then core efficiency is plain efficiency)
        int cores = _settings.Launcher == Launcher.Sim ? _settings.Sim.Placement().Placement.Count ?? int.MaxValue : MachineInfo.Cores;
        var final = ScaleMetrics.WithSpeedups(withTarget, cores);

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
            clock.Elapsed.TotalSeconds, target, given, capacity) { Launcher = _launcherDescription, Simulation = _simulation };
    }
}
