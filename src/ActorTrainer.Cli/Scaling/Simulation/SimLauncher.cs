using System.Diagnostics;
using System.Globalization;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.Sharding;
using ActorTrainer.Actors.Simulation;

namespace ActorTrainer.Cli.Scaling.Simulation;

/// <summary>
/// Runs each configuration as a <see cref="ClusterSimulation"/>: n workers and the server shards on
/// virtual time, with the real state classes and real gradients, in this thread. Costs not given are
/// measured once, in <see cref="WarmUpAsync"/>: a chunk per chunk length k, the server's costs per
/// shard slice size. Results are those of the other launchers with virtual seconds for wall seconds.
/// </summary>
public sealed class SimLauncher : IScaleLauncher
{
    private readonly IScaleTarget _target;
    private readonly ScaleSettings _settings;
    private readonly SweepProgress _progress;
    private readonly SimOptions _options;
    private readonly Dictionary<(int K, int Threads), CostEstimate> _chunk = new();                  // (k, threads at once) → chunk cost
    private readonly Dictionary<int, (CostEstimate Push, CostEstimate Update, CostEstimate Sum)> _server = new(); // slice size → costs
    private readonly List<SimRunDetail> _runs = new();
    private (NetworkCosts Costs, string Source) _network; // with --sim-compare, the in-process hop measured at warm-up
    private CostEstimate? _handoff;                       // with --sim-compare: a message between threads on one core
    private readonly (CorePlacement Placement, string Source) _cores;

    public SimLauncher(IScaleTarget target, ScaleSettings settings, SweepProgress progress)
    {
        (_target, _settings, _progress, _options) = (target, settings, progress, settings.Sim);
        _network = _options.Network();
        _cores = _options.Placement();
    }

    public string Description => Inv($"simulated: virtual time, {_network.Costs.LatencySeconds * 1e6:0.#} µs + bytes at {Bandwidth(_network.Costs)} per message ({_network.Source}); ") +
        $"stragglers: {StragglersText}; chunk jitter: {JitterText}; cores: {CoresText}. The real worker and server state classes and real gradients; only the clock is simulated (docs/simulation.md)";

    private string StragglersText => _options.Stragglers?.ToString() ?? "none";
    private string CoresText => $"{_cores.Placement} ({_cores.Source})";
    private string JitterText => _options.JitterSigma > 0 ? Inv($"lognormal, mean 1, log-σ {_options.JitterSigma}") : "none";

    public SimulationReport Report => new(_runs.ToArray(), Inv($"{_network.Costs.LatencySeconds * 1e6:0.#} µs latency, {Bandwidth(_network.Costs)} per port, {_network.Costs.ControlBytes} B per control message — {_network.Source}"),
        StragglersText + (_options.Stragglers is null ? "" : " (the highest worker ids)"), JitterText, CoresText, _cores.Placement.Count is null);

    private static string Bandwidth(NetworkCosts n) => double.IsPositiveInfinity(n.BandwidthBytesPerSecond) ? "∞ B/s" : Inv($"{n.BandwidthBytesPerSecond / 1e9:0.###} GB/s");

    /// <summary>Chunks computed at once by a run of <paramref name="workers"/>: one per core they use (sharing a
    /// core is the model's part), one with unlimited cores (each has a machine of its own).</summary>
    private int ProbeThreads(int workers) => _cores.Placement.Count is { } c ? Math.Min(workers, c) : 1;

    /// <summary>Measures every cost not given, once: a chunk per k and per number of threads computing at
    /// once, the server per slice size.</summary>
    public Task WarmUpAsync(CancellationToken ct)
    {
        foreach (int k in _settings.EffectiveChunks)
            foreach (int threads in _settings.Workers.Select(ProbeThreads).Distinct().Order())
            {
                if (ct.IsCancellationRequested) break;
                var cost = _chunk[(k, threads)] = _options.ChunkSeconds is { } given
                    ? new("chunk", given, "given (--sim-chunk-seconds)")
                    : SimCostProbe.Chunk(_target, k, threads);
                Print(cost, $"k={k}, {threads} at once");
            }
        if (_options.PushSeconds is null || _options.UpdateSeconds is null || _options.SumSeconds is null)
            foreach (int shards in _settings.Shards)
            {
                int slice = new ShardLayout(_target.ParameterCount, shards).Ranges.Max(r => r.Count);
                if (ct.IsCancellationRequested || _server.ContainsKey(slice)) continue;
                var c = _server[slice] = SimCostProbe.Server(slice, _target.Optimizer);
                foreach (var e in new[] { c.Push, c.Update, c.Sum }) Print(e, $"slice {slice:N0}");
            }
        if (_options.ComparesWithoutNetwork && !ct.IsCancellationRequested)
        {
            // worker 1's core when there is one: a worker and the server on two cores, as most of a run's hops are
            var hop = HopProbe.Measure(workerCpu: _cores.Placement.Count is > 1 ? 1 : 0, serverCpu: 0);
            _network = (new NetworkCosts(hop.Seconds, double.PositiveInfinity, 0) { FreeWithinACore = true },
                $"in process, no network (--sim-compare): a message between cores costs one hop between threads ({hop.Source}), within a core the handoff below");
            _handoff = HopProbe.Measure(workerCpu: 0, serverCpu: 0) with { Name = "handoff" };
            Print(_handoff, "on one core: charged to the server's core twice per push, its thread switched in and out");
        }
        _progress.Note($"simulation network: {Report.Network}; stragglers: {Report.Stragglers}; jitter: {JitterText}; cores: {CoresText}");
        return Task.CompletedTask;
    }

    private void Print(CostEstimate c, string at) => _progress.Note(Inv($"simulation cost {c.Name} ({at}): {c.Seconds * 1e6:N1} µs — {c.Source}"));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Shard i's costs: given ones scaled to its slice, measured ones at its slice size.</summary>
    private (ShardCosts[] Shards, List<CostEstimate> Used) ServerCosts(int shards)
    {
        var layout = new ShardLayout(_target.ParameterCount, shards);
        int slice = layout.Ranges.Max(r => r.Count), p = _target.ParameterCount;
        _server.TryGetValue(slice, out var measured);
        CostEstimate Pick(string name, double? given, CostEstimate? m) => given is { } g
            ? new(name, g * slice / p, Inv($"given at the whole model ({g:E3} s), scaled to the slice of {slice:N0}"))
            : m!;
        var used = new List<CostEstimate> { Pick("push", _options.PushSeconds, measured.Push), Pick("update", _options.UpdateSeconds, measured.Update), Pick("sum", _options.SumSeconds, measured.Sum) };
        // the server's thread shares a worker's core in process: each push switches it in, and its answer out
        double handoff = 2 * (_handoff?.Seconds ?? 0);
        var costs = layout.Ranges.Select(r => new ShardCosts(used[0].Seconds * r.Count / slice + handoff, used[1].Seconds * r.Count / slice, used[2].Seconds * r.Count / slice)).ToArray();
        if (_handoff is not null) used.Add(_handoff);
        return (costs, used);
    }

    public Task<ConfigResult> RunAsync(ConfigPlan plan, CancellationToken ct)
    {
        var config = plan.Config;
        var (shardCosts, used) = ServerCosts(config.Shards);
        var chunk = _chunk[(config.Chunk, ProbeThreads(config.Workers))];
        used.Insert(0, chunk);
        var stragglers = _options.Stragglers?.For(config.Workers) ?? Stragglers.None;
        var costs = new SimulationCosts(chunk.Seconds, shardCosts, _network.Costs, stragglers, _options.JitterSigma, (ulong)_settings.Train.Seed, _cores.Placement);
        _progress.Begin(plan.Index, plan.Total, config, plan.MaxUpdates);
        _progress.Note(string.Join("; ", used.Select(c => Inv($"{c.Name} {c.Seconds * 1e6:N1} µs"))) + Inv($"; {stragglers.Count} straggler(s)"));

        var (result, detail) = Simulate(plan, costs, ct);
        ConfigResult? twin = null;
        if (stragglers.Count > 0 && !ct.IsCancellationRequested)
        {
            _progress.Note("  … and without stragglers, for their cost");
            twin = Simulate(plan, new SimulationCosts(costs.ChunkSeconds, shardCosts, _network.Costs, Stragglers.None, _options.JitterSigma, costs.Seed, costs.Cores), ct).Result;
        }
        _runs.Add(detail with { Costs = used, WithoutStragglers = twin });
        _progress.End(result);
        return Task.FromResult(result);
    }

    private (ConfigResult Result, SimRunDetail Detail) Simulate(ConfigPlan plan, SimulationCosts costs, CancellationToken ct)
    {
        var (config, initialLoss) = (plan.Config, plan.InitialLoss);
        bool online = _settings.Stop == StopRule.Target;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var cumulativeTokens = new List<long> { 0 };
        var staleness = new List<long>();
        var snapshots = new List<(double T, long Version, float[]? W, double Loss)>();
        ClusterSimulation? sim = null;
        var callbacks = new TrainingCallbacks
        {
            OnUpdate = u =>
            {
                cumulativeTokens.Add(cumulativeTokens[^1] + u.Tokens);
                for (int c = 0; c < u.WorkerIds.Length; c++) staleness.Add(u.Staleness);
                _progress.OnUpdate(u.UpdateNumber, cumulativeTokens[^1]);
            },
            Validate = (w, version) =>
            {
                double t = sim!.Now;
                if (!online) { snapshots.Add((t, version, w.ToArray(), double.NaN)); return double.NaN; }
                double loss = _target.ValidationLoss(w);
                snapshots.Add((t, version, null, loss));
                if (loss <= _settings.TargetLoss) stop.Cancel();
                return loss;
            },
        };
        var run = new TrainingRunSettings(config.Mode.Mode, plan.MaxUpdates, _target.ModelShape, config.Mode.Staleness,
            validateEvery: plan.SnapshotEvery, maxInFlight: _settings.Train.ExplicitMaxInFlight, shards: config.Shards);
        var clock = Stopwatch.StartNew();
        int gen2 = GC.CollectionCount(2);
        sim = new ClusterSimulation(run, _target.CreateComputers(config.Workers, config.Chunk), _target.InitialWeights(), _target.CreateUpdateRule(), costs, callbacks);
        var r = sim.Run(stop.Token);
        gen2 = GC.CollectionCount(2) - gen2;
        double real = clock.Elapsed.TotalSeconds;
        var result = r.Training;

        double wall = r.LastUpdateSeconds;
        long chunks = r.Workers.Sum(x => x.Chunks);
        var configResult = ConfigResult.Of(config, result, cumulativeTokens, staleness, snapshots, initialLoss, w => _target.ValidationLoss(w), wall,
            serverBusy: result.ServerLoads.Select(l => Math.Clamp(l.BusySeconds / Math.Max(wall, 1e-12), 0, 1)).DefaultIfEmpty(0).Max(),
            workerIdle: r.Workers.Select(x => x.Idle(wall)).Average(),
            secondsPerChunk: chunks > 0 ? r.Workers.Sum(x => x.ComputeSeconds) / chunks : 0,
            gen2, reachedTarget: online && stop.IsCancellationRequested && !ct.IsCancellationRequested);
        return (configResult, new SimRunDetail(config, [], r.Workers, wall, real, r.Events, null));
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
