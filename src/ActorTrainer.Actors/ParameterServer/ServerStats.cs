namespace ActorTrainer.Actors.ParameterServer;

/// <summary>
/// The parameter server's counters. <see cref="RejectionsByReason"/> is indexed by
/// <see cref="RejectionReason"/>; <see cref="StalenessHistogram"/>[s] counts applied gradients of
/// staleness s, the last bucket everything at or above <see cref="StalenessBuckets"/> − 1.
/// </summary>
public sealed record ServerStats(
    long Version, long Updates, long GradientsApplied, long[] RejectionsByReason,
    long NonFiniteReports, long MaxStaleness, long StalenessSum, long[] StalenessHistogram)
{
    public const int StalenessBuckets = 17;

    public long Rejections(RejectionReason reason) => RejectionsByReason[(int)reason];

    public long TotalRejections => RejectionsByReason.Sum();

    public double MeanStaleness => GradientsApplied == 0 ? 0 : (double)StalenessSum / GradientsApplied;

    /// <summary>
    /// The counters of a sharded server as one: <see cref="Version"/> and <see cref="Updates"/> are the
    /// smallest of any shard (all of W is at least that far), non-finite reports the largest (every
    /// shard hears every report); applied gradients, rejections, staleness sums and histograms are
    /// summed — they count gradient slices, one per shard per push. One shard: its own counters.
    /// </summary>
    public static ServerStats Combine(IReadOnlyList<ServerStats> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0) throw new ArgumentException("need the stats of at least one shard", nameof(shards));
        if (shards.Count == 1) return shards[0];
        static long[] Sum(IEnumerable<long[]> arrays) =>
            arrays.Aggregate((a, b) => a.Length == b.Length
                ? a.Zip(b, (x, y) => x + y).ToArray()
                : throw new ArgumentException($"shard counters have different lengths ({a.Length} and {b.Length})", nameof(shards)));
        return new ServerStats(
            shards.Min(s => s.Version), shards.Min(s => s.Updates), shards.Sum(s => s.GradientsApplied),
            Sum(shards.Select(s => s.RejectionsByReason)), shards.Max(s => s.NonFiniteReports),
            shards.Max(s => s.MaxStaleness), shards.Sum(s => s.StalenessSum), Sum(shards.Select(s => s.StalenessHistogram)));
    }
}
