namespace ActorTrainer.Cli.Scaling;

/// <summary>The server's capacity at the sweep's model size and what it means for worker counts.</summary>
/// <param name="WorkerChunksPerSecond">One worker's update rate measured in the sweep (1 / mean chunk
/// compute time of the 1-worker configurations); NaN without one.</param>
public sealed record CapacitySummary(CapacityResult Capacity, double CopyBandwidth, double WorkerChunksPerSecond)
{
    public double SaturationWorkers => Capacity.SaturationWorkers(WorkerChunksPerSecond);
}

/// <summary>Everything a sweep measured, with the machine it ran on.</summary>
public sealed record SweepResult(
    IReadOnlyList<ConfigResult> Configs, ScaleSettings Settings, string Target, int Cores,
    string? LoadBefore, string? LoadAfter, double TotalSeconds, double TargetLoss, bool TargetGiven, CapacitySummary? Capacity)
{
    /// <summary>Where the configurations ran (<see cref="IScaleLauncher.Description"/>).</summary>
    public string Launcher { get; init; } = "";

    /// <summary>The simulator's costs and per-worker times (sim launcher only).</summary>
    public Simulation.SimulationReport? Simulation { get; init; }
}
