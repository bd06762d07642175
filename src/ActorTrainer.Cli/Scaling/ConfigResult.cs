namespace ActorTrainer.Cli.Scaling;

/// <summary>One point of a configuration's validation curve: W after <paramref name="Update"/> updates.</summary>
public sealed record CurvePoint(double WallSeconds, long Update, long Version, long Tokens, double Loss);

/// <summary>
/// What one configuration of a sweep measured. Throughput is training tokens (of applied gradients,
/// as shard 0 applied them) per second of wall time from the run's start to its last update. A
/// sharded run ends when its first shard reaches the budget, so shard 0 may be a few updates short. Speedup and efficiency compare
/// with the 1-worker configuration of the same group (mode, k, shards) and are null without one.
/// </summary>
public sealed record ConfigResult
{
    public required ScaleConfig Config { get; init; }
    public required long Tokens { get; init; }
    public required long Updates { get; init; }
    public required double WallSeconds { get; init; }
    public double TokensPerSecond => WallSeconds > 0 ? Tokens / WallSeconds : 0;
    /// <summary>throughput_n / throughput_1.</summary>
    public double? Speedup { get; init; }
    /// <summary>throughput_n / (n · throughput_1).</summary>
    public double? Efficiency { get; init; }
    /// <summary>throughput_n / (min(n, cores) · throughput_1): efficiency against the cores there are.</summary>
    public double? CoreEfficiency { get; init; }
    /// <summary>Wall seconds until the first snapshot at or below the target loss; null if never.</summary>
    public double? TimeToTarget { get; init; }
    public required double FinalLoss { get; init; }
    /// <summary>Applied gradient pushes (slices, summed over shards).</summary>
    public required long GradientsApplied { get; init; }
    /// <summary>Refused gradient pushes (slices, summed over shards).</summary>
    public required long GradientsRejected { get; init; }
    /// <summary>Staleness of every applied gradient (shard 0), by value: Counts[s] = gradients of staleness s.</summary>
    public required long[] StalenessCounts { get; init; }
    public required double StalenessMean { get; init; }
    public required long StalenessP50 { get; init; }
    public required long StalenessP99 { get; init; }
    public required long StalenessMax { get; init; }
    /// <summary>Busy / elapsed of the busiest server shard.</summary>
    public required double ServerBusy { get; init; }
    /// <summary>1 − (time inside ComputeNext summed over workers) / (n · wall).</summary>
    public required double WorkerIdle { get; init; }
    /// <summary>Mean wall seconds of one chunk's compute (a worker's update rate is its inverse).</summary>
    public required double SecondsPerChunk { get; init; }
    /// <summary>Tensor bytes workers sent (gradient pushes), at their serialized length.</summary>
    public required long BytesSent { get; init; }
    /// <summary>Tensor bytes workers received (registration and published weights), at their serialized length.</summary>
    public required long BytesReceived { get; init; }
    /// <summary>Full (gen 2) garbage collections during the run: every update allocates a published copy
    /// of W and every push a gradient, both on the large-object heap once P exceeds ~21k floats.</summary>
    public required int Gen2Collections { get; init; }
    public required string Completion { get; init; }
    public required IReadOnlyList<CurvePoint> Curve { get; init; }

    /// <summary>
    /// What a launcher recorded, as a result: the validation curve (W₀ at time 0, then each snapshot in
    /// update order, evaluated now where it was deferred), the staleness counts and the run's totals.
    /// The launcher gives what its own clock measured: wall seconds, server busy, worker idle, chunk time.
    /// </summary>
    public static ConfigResult Of(ScaleConfig config, ActorTrainer.Actors.Coordinator.TrainingResult result,
        IReadOnlyList<long> cumulativeTokens, IReadOnlyList<long> staleness,
        IReadOnlyList<(double T, long Version, float[]? W, double Loss)> snapshots, double initialLoss, Func<float[], double> validationLoss,
        double wall, double serverBusy, double workerIdle, double secondsPerChunk, int gen2, bool reachedTarget)
    {
        var curve = new List<CurvePoint> { new(0, 0, 0, 0, initialLoss) };
        for (int i = 0; i < snapshots.Count && i < result.Validations.Count; i++)
        {
            var (t, version, w, loss) = snapshots[i];
            long update = result.Validations[i].UpdateNumber;
            long tokens = cumulativeTokens[(int)Math.Min(update, cumulativeTokens.Count - 1)];
            curve.Add(new CurvePoint(t, update, version, tokens, w is null ? loss : validationLoss(w)));
        }
        var counts = new long[(staleness.Count == 0 ? 0 : staleness.Max()) + 1];
        foreach (long s in staleness) counts[s]++;
        return new ConfigResult
        {
            Config = config,
            Tokens = cumulativeTokens[^1],
            Updates = result.Stats.Updates,
            WallSeconds = wall,
            FinalLoss = curve[^1].Version == result.Version ? curve[^1].Loss : validationLoss(result.Weights),
            GradientsApplied = result.Stats.GradientsApplied,
            GradientsRejected = result.Stats.TotalRejections,
            StalenessCounts = counts,
            StalenessMean = ScaleMetrics.Mean(counts),
            StalenessP50 = ScaleMetrics.Percentile(counts, 0.5),
            StalenessP99 = ScaleMetrics.Percentile(counts, 0.99),
            StalenessMax = counts.Length - 1,
            ServerBusy = serverBusy,
            WorkerIdle = workerIdle,
            SecondsPerChunk = secondsPerChunk,
            BytesSent = result.ServerLoads.Sum(l => l.TensorBytesReceived),
            BytesReceived = result.ServerLoads.Sum(l => l.TensorBytesSent),
            Gen2Collections = gen2,
            Completion = reachedTarget ? "target" : result.Reason.ToString(),
            Curve = curve,
        };
    }
}
