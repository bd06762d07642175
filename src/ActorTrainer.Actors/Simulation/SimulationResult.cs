using ActorTrainer.Actors.Coordinator;

namespace ActorTrainer.Actors.Simulation;

/// <summary>One simulated worker's time: chunks computed and virtual seconds spent computing them up to
/// the run's last update (a chunk running across it counts up to it).</summary>
public sealed record WorkerTime(int WorkerId, long Chunks, double ComputeSeconds, bool Straggler)
{
    /// <summary>1 − compute ÷ <paramref name="wallSeconds"/>, in [0, 1].</summary>
    public double Idle(double wallSeconds) => wallSeconds > 0 ? Math.Clamp(1 - ComputeSeconds / wallSeconds, 0, 1) : 0;
}

/// <summary>
/// A simulated run's outcome: the run's result as an in-process run gives it (final W, counters,
/// validations, and each shard's load measured in virtual seconds), the virtual time of the last
/// update (shard 0's, the throughput window's end) and of the end, per-worker compute time, and how
/// many events were processed.
/// </summary>
public sealed record SimulationResult(
    TrainingResult Training, double LastUpdateSeconds, double EndSeconds, IReadOnlyList<WorkerTime> Workers, long Events,
    SimulationTrace? Trace);
