namespace ActorTrainer.Actors.Simulation;

/// <summary>
/// What one parameter-server shard spends, in virtual seconds, on the messages it handles:
/// <paramref name="PushSeconds"/> per gradient received (validation and the finiteness check: every push),
/// <paramref name="UpdateSeconds"/> per update applied (the rule, the published copy of W) and
/// <paramref name="SumSeconds"/> per contribution beyond the first of a sync round (one pass adding it to
/// the round's sum). Everything else (registration, acks) costs nothing.
/// </summary>
public sealed record ShardCosts(double PushSeconds, double UpdateSeconds, double SumSeconds)
{
    public void Check(string name)
    {
        if (!(PushSeconds >= 0 && UpdateSeconds >= 0 && SumSeconds >= 0) || !double.IsFinite(PushSeconds + UpdateSeconds + SumSeconds))
            throw new ArgumentOutOfRangeException(name, this, "server costs must be finite and ≥ 0");
    }

    /// <summary>Time to handle one push that applies <paramref name="contributors"/> gradients (0 = applies none).</summary>
    public double Push(int contributors) =>
        PushSeconds + (contributors > 0 ? UpdateSeconds + (contributors - 1) * SumSeconds : 0);

    /// <summary>These whole-model costs for a slice of <paramref name="count"/> of <paramref name="total"/>
    /// parameters, scaled linearly (every term is one pass over the slice).</summary>
    public ShardCosts Scale(int count, int total) =>
        this with { PushSeconds = PushSeconds * count / total, UpdateSeconds = UpdateSeconds * count / total, SumSeconds = SumSeconds * count / total };
}

/// <summary>
/// The simulated network: every node (worker, server shard) has one full-duplex port of
/// <paramref name="BandwidthBytesPerSecond"/> each way. A message of b bytes leaves when the sender's
/// outgoing port is free, occupies it b/bandwidth seconds, travels <paramref name="LatencySeconds"/>, and
/// is in once the receiver's incoming port has taken its b bytes (after the messages before it). So a
/// lone message takes latency + b/bandwidth, and a server publishing W to n workers, or n workers
/// pushing to one server, queues at that server's port. Tensor messages count their serialized length;
/// every other message <paramref name="ControlBytes"/>.
/// </summary>
public sealed record NetworkCosts(double LatencySeconds, double BandwidthBytesPerSecond, int ControlBytes = 64)
{
    /// <summary>In process: two nodes on one core exchange messages for free (the core's schedule holds the
    /// handoff), and only messages between cores pay the latency — the threads' hop.</summary>
    public bool FreeWithinACore { get; init; }

    /// <summary>No network at all: every message arrives the instant it is sent (an in-process run's ideal).</summary>
    public static readonly NetworkCosts None = new(0, double.PositiveInfinity, 0);

    public void Check(string name)
    {
        if (!(LatencySeconds >= 0) || double.IsInfinity(LatencySeconds))
            throw new ArgumentOutOfRangeException(name, LatencySeconds, "latency must be finite and ≥ 0");
        if (!(BandwidthBytesPerSecond > 0)) throw new ArgumentOutOfRangeException(name, BandwidthBytesPerSecond, "bandwidth must be positive (∞ allowed)");
        if (ControlBytes < 0) throw new ArgumentOutOfRangeException(name, ControlBytes, "control message size must be ≥ 0");
    }

    /// <summary>Seconds b bytes occupy a port.</summary>
    public double TransmitSeconds(long bytes) => double.IsPositiveInfinity(BandwidthBytesPerSecond) ? 0 : bytes / BandwidthBytesPerSecond;
}

/// <summary>
/// Slow workers: the last <paramref name="Count"/> worker ids compute every chunk <paramref name="Factor"/>
/// times slower (the highest ids, so the slow ones are the same whatever the seed).
/// </summary>
public sealed record Stragglers(int Count, double Factor)
{
    public static readonly Stragglers None = new(0, 1);

    public void Check(string name)
    {
        if (Count < 0) throw new ArgumentOutOfRangeException(name, Count, "straggler count must be ≥ 0");
        if (!(Factor >= 1) || double.IsInfinity(Factor)) throw new ArgumentOutOfRangeException(name, Factor, "straggler factor must be finite and ≥ 1");
    }

    public bool IsStraggler(int workerId, int workers) => workerId >= workers - Count;
}

/// <summary>
/// Where the simulated nodes compute. Unlimited (<paramref name="Count"/> null): every worker and every
/// shard on a core of its own, as on machines of their own. C cores: the in-process launcher's placement
/// (<c>TrainingRunSettings.PinThreads</c>) — worker i on core i mod C, server shard s on core s mod C,
/// which is worker s's — and nodes on one core share it as <see cref="SimulatedCore"/> says.
/// </summary>
public sealed record CorePlacement(int? Count)
{
    public static readonly CorePlacement Unlimited = new((int?)null);

    public void Check(string name)
    {
        if (Count is <= 0) throw new ArgumentOutOfRangeException(name, Count, "the number of cores must be positive");
    }

    /// <summary>The cores a run of <paramref name="workers"/> and <paramref name="shards"/> uses.</summary>
    public int Cores(int workers, int shards) => Count ?? workers + shards;

    /// <summary>The core <paramref name="node"/> (a worker or a shard) computes on.</summary>
    public int CoreOf(NodeId node, int workers) => node.Kind switch
    {
        NodeKind.Worker => Count is { } c ? node.Index % c : node.Index,
        NodeKind.Shard => Count is { } c ? node.Index % c : workers + node.Index,
        _ => throw new ArgumentException("the observer is free and instant: it has no core", nameof(node)),
    };

    public override string ToString() => Count is { } c
        ? $"{c} core(s): worker i on core i mod {c}, server shard s on worker s's core (the in-process launcher's pinning)"
        : "unlimited: every worker and every server shard on a core of its own";
}

/// <summary>
/// The cost model of a simulated run, in virtual seconds. A worker's chunk takes
/// <see cref="ChunkSeconds"/> × its straggler factor × a lognormal jitter of mean 1 and log-σ
/// <see cref="JitterSigma"/>, drawn from (<see cref="Seed"/>, worker, chunk number) so that it does not
/// depend on the order the simulation asks; shard i's handlers cost <see cref="Shards"/>[i]; messages
/// cross <see cref="Network"/>; handlers share cores as <see cref="Cores"/> places them. A worker's other
/// handlers (taking weights, acks) cost nothing.
/// </summary>
public sealed record SimulationCosts
{
    public double ChunkSeconds { get; }
    /// <summary>Per shard, in shard order.</summary>
    public IReadOnlyList<ShardCosts> Shards { get; }
    public NetworkCosts Network { get; }
    public Stragglers Stragglers { get; }
    public double JitterSigma { get; }
    public ulong Seed { get; }
    public CorePlacement Cores { get; }

    public SimulationCosts(double chunkSeconds, IReadOnlyList<ShardCosts> shards, NetworkCosts network,
        Stragglers? stragglers = null, double jitterSigma = 0, ulong seed = 1, CorePlacement? cores = null)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(network);
        if (!(chunkSeconds > 0) || double.IsInfinity(chunkSeconds))
            throw new ArgumentOutOfRangeException(nameof(chunkSeconds), chunkSeconds, "chunk time must be finite and positive");
        if (shards.Count == 0) throw new ArgumentException("need the costs of at least one shard", nameof(shards));
        foreach (var s in shards) (s ?? throw new ArgumentException("a shard's costs are null", nameof(shards))).Check(nameof(shards));
        network.Check(nameof(network));
        stragglers ??= Stragglers.None;
        stragglers.Check(nameof(stragglers));
        if (!(jitterSigma >= 0) || double.IsInfinity(jitterSigma))
            throw new ArgumentOutOfRangeException(nameof(jitterSigma), jitterSigma, "jitter σ must be finite and ≥ 0");
        cores ??= CorePlacement.Unlimited;
        cores.Check(nameof(cores));
        ChunkSeconds = chunkSeconds; Shards = shards.ToArray(); Network = network; Stragglers = stragglers; JitterSigma = jitterSigma; Seed = seed; Cores = cores;
    }

    /// <summary>Virtual seconds of chunk number <paramref name="chunk"/> (0, 1, … per worker) of worker
    /// <paramref name="workerId"/> of <paramref name="workers"/>.</summary>
    public double ChunkTime(int workerId, int workers, long chunk)
    {
        double t = ChunkSeconds * (Stragglers.IsStraggler(workerId, workers) ? Stragglers.Factor : 1);
        if (JitterSigma == 0) return t;
        // exp(σz − σ²/2) has mean 1: jitter spreads chunk times without changing the mean rate.
        double z = StandardNormal(Seed, (ulong)workerId, (ulong)chunk);
        return t * Math.Exp(JitterSigma * z - JitterSigma * JitterSigma / 2);
    }

    /// <summary>A standard normal from a hash of (seed, a, b) by Box–Muller: the same inputs give the same draw.</summary>
    internal static double StandardNormal(ulong seed, ulong a, ulong b)
    {
        ulong h1 = Mix(seed ^ Mix(a + 0x632BE59BD9B4E019UL) ^ Mix(Mix(b) + 0x9E3779B97F4A7C15UL));
        ulong h2 = Mix(h1 + 0x9E3779B97F4A7C15UL);
        double u1 = ((h1 >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]: log is finite
        double u2 = (h2 >> 11) * (1.0 / (1UL << 53));
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>SplitMix64's finalizer (Steele et al. 2014): a bijective 64-bit mix.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
