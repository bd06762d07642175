using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.ParameterServer;

/// <summary>
/// Immutable, self-validating settings of one parameter server.
/// </summary>
public sealed record ServerSettings
{
    /// <summary>Sync, async (Downpour) or ssp (bounded staleness).</summary>
    public ConsistencyMode Mode { get; }

    /// <summary>Ssp bound s: a gradient on version v is applied only if current − v ≤ s. Ignored by
    /// the other modes (sync accepts only current-version gradients, async any).</summary>
    public int Staleness { get; }

    /// <summary>W's length and shape string; registrations must match it exactly.</summary>
    public ModelFingerprint Fingerprint { get; }

    /// <summary>Hand out weights only once this many workers have registered, so the first updates
    /// of a run do not depend on who registered first (sync runs stay deterministic).</summary>
    public int StartQuorum { get; }

    /// <summary>Complete the run after this many applied updates.</summary>
    public long MaxUpdates { get; }

    /// <summary>Send W to the observer every this many updates (for validation); 0 = never.</summary>
    public int ObserverSnapshotEvery { get; }

    /// <summary>How the workers' copy of W is sent: fp32, or bf16 (each published copy rounded to
    /// nearest even; the server's W, its optimizer state and the observer's copies stay fp32).</summary>
    public Core.Compression.WireEncoding WeightsEncoding
    {
        get;
        init => field = value is Core.Compression.WireEncoding.Fp32 or Core.Compression.WireEncoding.Bf16 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "weights are sent as fp32 or bf16");
    }

    /// <summary>Abort the run as diverged once workers report more non-finite gradients than this.</summary>
    public long MaxNonFiniteReports { get; }

    public ServerSettings(
        ConsistencyMode mode, ModelFingerprint fingerprint, long maxUpdates,
        int staleness = 0, int startQuorum = 1, int observerSnapshotEvery = 0, long maxNonFiniteReports = 100)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown consistency mode");
        if (fingerprint.ParameterCount <= 0)
            throw new ArgumentOutOfRangeException(nameof(fingerprint), fingerprint.ParameterCount, "parameter count must be positive");
        if (maxUpdates <= 0) throw new ArgumentOutOfRangeException(nameof(maxUpdates), maxUpdates, "max updates must be positive");
        if (staleness < 0) throw new ArgumentOutOfRangeException(nameof(staleness), staleness, "staleness bound must be ≥ 0");
        if (startQuorum <= 0) throw new ArgumentOutOfRangeException(nameof(startQuorum), startQuorum, "start quorum must be positive");
        if (observerSnapshotEvery < 0)
            throw new ArgumentOutOfRangeException(nameof(observerSnapshotEvery), observerSnapshotEvery, "snapshot interval must be ≥ 0");
        if (maxNonFiniteReports < 0)
            throw new ArgumentOutOfRangeException(nameof(maxNonFiniteReports), maxNonFiniteReports, "non-finite report limit must be ≥ 0");
        Mode = mode; Fingerprint = fingerprint; MaxUpdates = maxUpdates; Staleness = staleness;
        StartQuorum = startQuorum; ObserverSnapshotEvery = observerSnapshotEvery; MaxNonFiniteReports = maxNonFiniteReports;
    }
}
