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

    /// <summary>Workers push changes of W made by their own optimizer (local steps, top-k; see
    /// <see cref="Core.Compression.GradientEncoding.PushesDeltas"/>), not gradients: clip bounds do not apply to them.</summary>
    public bool PushesDeltas { get; init; }

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

    /// <summary>Send the observer a <see cref="RunSnapshot"/> when the run ends (unless it diverged: the last
    /// good one stays) and every <see cref="SnapshotEvery"/> updates.</summary>
    public bool RunSnapshots { get; init; }

    /// <summary>Run snapshots every this many updates; 0 = only when the run ends.</summary>
    public int SnapshotEvery
    {
        get => _snapshotEvery;
        init => _snapshotEvery = value >= 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(SnapshotEvery), value, "snapshot interval must be ≥ 0");
    }
    private readonly int _snapshotEvery;

    /// <summary>Run snapshots include the workers' streams (only shard 0 of a sharded server asks for them).</summary>
    public bool SnapshotWorkers { get; init; } = true;

    /// <summary>The run's global L2-norm clip threshold, enforced here too: a gradient whose norm exceeds it
    /// (beyond float rounding of the worker's own clipping) is refused. Null = no norm bound.</summary>
    public float? ClipNorm
    {
        get => _clipNorm;
        init => _clipNorm = value is { } c && (!float.IsFinite(c) || c <= 0)
            ? throw new ArgumentOutOfRangeException(nameof(ClipNorm), c, "clip norm must be finite and > 0") : value;
    }
    private readonly float? _clipNorm;

    /// <summary>The run's per-element clip bound, enforced here too: a gradient with an element outside
    /// ±ClipValue is refused. Null = no element bound.</summary>
    public float? ClipValue
    {
        get => _clipValue;
        init => _clipValue = value is { } c && (!float.IsFinite(c) || c <= 0)
            ? throw new ArgumentOutOfRangeException(nameof(ClipValue), c, "clip value must be finite and > 0") : value;
    }
    private readonly float? _clipValue;

    /// <summary>Abort the run as diverged once this many updates in a row were refused as non-finite: a run
    /// whose weights can no longer move is not training.</summary>
    public int MaxStalledUpdates
    {
        get => _maxStalled;
        init => _maxStalled = value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxStalledUpdates), value, "stalled-update limit must be positive");
    }
    private readonly int _maxStalled = 100;

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
