namespace ActorTrainer.Cli.Scaling;

/// <summary>What one configuration is asked to do: at most <paramref name="MaxUpdates"/> updates (the
/// token budget), a W snapshot for the validation curve every <paramref name="SnapshotEvery"/> updates.</summary>
public sealed record ConfigPlan(ScaleConfig Config, int Index, int Total, long MaxUpdates, int SnapshotEvery, double InitialLoss);

/// <summary>
/// Runs a sweep's configurations somewhere — in this process (<see cref="InProcessLauncher"/>) or as
/// node processes on the loopback (<see cref="ClusterLauncher"/>) — and measures each into a
/// <see cref="ConfigResult"/> (speedups and time to target are added by the sweep).
/// </summary>
public interface IScaleLauncher : IAsyncDisposable
{
    /// <summary>One sentence for the summary: where and how the configurations ran.</summary>
    string Description { get; }

    /// <summary>Untimed preparation before the first configuration (e.g. JIT warm-up).</summary>
    Task WarmUpAsync(CancellationToken ct);

    Task<ConfigResult> RunAsync(ConfigPlan plan, CancellationToken ct);
}
