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
}
