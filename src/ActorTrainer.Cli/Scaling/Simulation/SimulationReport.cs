using ActorTrainer.Actors.Simulation;

namespace ActorTrainer.Cli.Scaling.Simulation;

/// <summary>
/// What the simulator knows about one configuration beyond its <see cref="ConfigResult"/>: the costs
/// used with their sources, each worker's virtual compute time, the real seconds the simulation took
/// and its event count, and — with stragglers — the same configuration simulated without them.
/// </summary>
public sealed record SimRunDetail(
    ScaleConfig Config, IReadOnlyList<CostEstimate> Costs, IReadOnlyList<WorkerTime> Workers, double WallSeconds,
    double RealSeconds, long Events, ConfigResult? WithoutStragglers)
{
    public IReadOnlyList<double> Idle => Workers.Select(w => w.Idle(WallSeconds)).ToArray();
}

/// <summary>A simulated sweep's details, by configuration in sweep order, with the cost model's settings.</summary>
public sealed record SimulationReport(IReadOnlyList<SimRunDetail> Runs, string Network, string Stragglers, string Jitter);
