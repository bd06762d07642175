using System.Globalization;
using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.Simulation;
using ActorTrainer.Cli.CommandLine;

namespace ActorTrainer.Cli.Scaling.Simulation;

/// <summary>Slow workers as given: a count ("1") or a fraction of n ("10%"), and the factor.</summary>
public sealed record StragglerSpec(double Amount, bool IsFraction, double Factor)
{
    /// <summary>"C:X" (C workers X times slower) or "F%:X" (F percent of the workers, at least one); "none".</summary>
    public static StragglerSpec? Parse(string text)
    {
        string t = text.Trim();
        if (t.Equals("none", StringComparison.OrdinalIgnoreCase)) return null;
        var parts = t.Split(':');
        bool fraction = parts.Length == 2 && parts[0].EndsWith('%');
        if (parts.Length == 2
            && double.TryParse(fraction ? parts[0][..^1] : parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double amount)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double factor)
            && amount > 0 && (fraction ? amount <= 100 : amount == Math.Floor(amount)) && factor >= 1 && double.IsFinite(factor))
            return new StragglerSpec(fraction ? amount / 100 : amount, fraction, factor);
        throw new UsageException($"--sim-stragglers: '{text}' is not COUNT:FACTOR or PERCENT%:FACTOR with a whole count > 0, a percentage in (0, 100] and a factor ≥ 1 (e.g. 1:4 or 10%:2)");
    }

    /// <summary>The stragglers among <paramref name="workers"/> (a fraction rounds up: at least one).</summary>
    public Stragglers For(int workers) =>
        new((int)Math.Min(workers, IsFraction ? Math.Ceiling(Amount * workers) : Amount), Factor);

    public override string ToString() => IsFraction
        ? string.Create(CultureInfo.InvariantCulture, $"{Amount * 100:0.##}% of the workers ×{Factor:0.##} slower")
        : string.Create(CultureInfo.InvariantCulture, $"{Amount:0} worker(s) ×{Factor:0.##} slower");
}

/// <summary>
/// The cost model of `scale --launcher sim` as given on the command line; every cost left out is
/// measured on this machine at the start (chunk and server costs) or takes its stated default
/// (network, stragglers, jitter). Null = measure.
/// </summary>
public sealed record SimOptions
{
    /// <summary>Default network: an assumed datacenter link, not a measurement.</summary>
    public const double DefaultLatency = 50e-6, DefaultBandwidth = 1.25e9;

    public double? ChunkSeconds { get; init; }
    public double? PushSeconds { get; init; }
    public double? UpdateSeconds { get; init; }
    public double? SumSeconds { get; init; }
    /// <summary>Null = the default (or none with --sim-compare, which compares with an in-process run).</summary>
    public double? LatencySeconds { get; init; }
    public double? BandwidthBytesPerSecond { get; init; }
    public int ControlBytes { get; init; } = 64;
    public StragglerSpec? Stragglers { get; init; }
    public double JitterSigma { get; init; }
    /// <summary>Null = not given: unlimited, or this machine's cores with --sim-compare.</summary>
    public CorePlacement? Cores { get; init; }
    /// <summary>Also run every configuration in process and write the side-by-side validation table.</summary>
    public bool CompareInProcess { get; init; }

    /// <summary>Compared with an in-process run and no network given: the launcher measures the hop between
    /// the run's threads and uses it as the latency (<see cref="HopProbe"/>).</summary>
    public bool ComparesWithoutNetwork => LatencySeconds is null && BandwidthBytesPerSecond is null && CompareInProcess;

    /// <summary>The network: as given, else none until the launcher measures the in-process hop when comparing
    /// with an in-process run, else the defaults.</summary>
    public (NetworkCosts Costs, string Source) Network()
    {
        if (ComparesWithoutNetwork)
            return (NetworkCosts.None, "none (--sim-compare: an in-process run has no network)");
        var costs = new NetworkCosts(LatencySeconds ?? DefaultLatency, BandwidthBytesPerSecond ?? DefaultBandwidth, ControlBytes);
        string Src(bool given) => given ? "given" : "default: an assumed datacenter link (50 µs, 10 Gbit/s), not measured";
        return (costs, LatencySeconds is null && BandwidthBytesPerSecond is null ? Src(false)
            : $"latency {(LatencySeconds is null ? "default" : "given")}, bandwidth {(BandwidthBytesPerSecond is null ? "default" : "given")}");
    }

    /// <summary>The cores: as given, else this machine's with the in-process placement when comparing with an
    /// in-process run (whose threads share them), else unlimited (a core, a machine, per node).</summary>
    public (CorePlacement Placement, string Source) Placement()
    {
        if (Cores is { } given) return (given, "given (--sim-cores)");
        if (!CompareInProcess) return (CorePlacement.Unlimited, "default: a core of its own for every worker and shard");
        int cores = ThreadAffinity.AllowedCpus().Count is > 0 and var n ? n : Environment.ProcessorCount;
        return (new CorePlacement(cores), $"this machine's {cores} core(s) the in-process run pins to (--sim-compare)");
    }

    /// <summary>The --sim-* options: name and help, in the order the help lists them (defaults in reference.conf).</summary>
    public static readonly (string Name, string Help, string Value)[] Table =
    [
        ("sim-chunk-seconds", "sim: one chunk's compute (empty: measured at start at the run's shape, one thread)", "S"),
        ("sim-update-seconds", "sim: server time per update at the whole model, rule + published copy (empty: measured)", "S"),
        ("sim-push-seconds", "sim: server time per gradient received, validation + finiteness check (empty: measured)", "S"),
        ("sim-sum-seconds", "sim: server time per extra gradient of a sync round's average (empty: measured; server costs are per shard's slice)", "S"),
        ("sim-latency", "sim: one-way latency per message in seconds (empty: 50e-6, assumed); 0 = none", "S"),
        ("sim-bandwidth", "sim: bytes/s of every node's port, each way (empty: 1.25e9 = 10 Gbit/s, assumed); inf = none", "B/S"),
        ("sim-control-bytes", "sim: size of a message without a tensor", "N"),
        ("sim-stragglers", "sim: C workers (or P%:X, P percent) X times slower; also simulates each configuration without them and reports the cost", "C:X"),
        ("sim-jitter", "sim: lognormal jitter of every chunk's time, mean 1, log-σ SIGMA", "SIGMA"),
        ("sim-cores", "sim: cores the workers and shards share, placed as the in-process launcher pins them (worker i on core i mod C, shard s on worker s's); the chunk is then measured with min(n, C) threads computing at once (empty: unlimited, a core per node; with --sim-compare this machine's); inf = unlimited", "C"),
        ("sim-compare", "sim: 'inproc' also runs every configuration in process and writes validation.md, simulated vs measured tokens/s and staleness (network none unless given); empty = no", "inproc"),
    ];

    /// <summary>Reads the --sim-* options; a usage error for a bad value.</summary>
    /// <param name="get">The option's value without the leading --, or null where it is empty.</param>
    public static SimOptions Parse(Func<string, string?> get)
    {
        var o = new SimOptions();
        double? Seconds(string name) => get(name) is { } v ? Positive(v, name, allowZero: name is "sim-push-seconds" or "sim-sum-seconds" or "sim-update-seconds") : null;
        o = o with
        {
            ChunkSeconds = get("sim-chunk-seconds") is { } c ? Positive(c, "sim-chunk-seconds", allowZero: false) : null,
            PushSeconds = Seconds("sim-push-seconds"),
            UpdateSeconds = Seconds("sim-update-seconds"),
            SumSeconds = Seconds("sim-sum-seconds"),
            LatencySeconds = get("sim-latency") is { } l ? Positive(l, "sim-latency", allowZero: true) : null,
            BandwidthBytesPerSecond = get("sim-bandwidth") is { } b
                ? b.Trim().Equals("inf", StringComparison.OrdinalIgnoreCase) ? double.PositiveInfinity : Positive(b, "sim-bandwidth", allowZero: false)
                : null,
            Stragglers = get("sim-stragglers") is { } s ? StragglerSpec.Parse(s) : null,
            JitterSigma = get("sim-jitter") is { } j ? Positive(j, "sim-jitter", allowZero: true) : 0,
            Cores = get("sim-cores") is { } k ? ParseCores(k) : null,
        };
        if (get("sim-control-bytes") is { } cb)
            o = o with { ControlBytes = int.TryParse(cb, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 0 ? n
                : throw new UsageException($"--sim-control-bytes: '{cb}' is not a whole number ≥ 0") };
        if (get("sim-compare") is { } cmp)
            o = o with { CompareInProcess = cmp.Trim().Equals("inproc", StringComparison.OrdinalIgnoreCase)
                ? true : throw new UsageException($"--sim-compare: unknown value '{cmp}' (expected inproc)") };
        return o;
    }

    private static CorePlacement ParseCores(string text)
    {
        string t = text.Trim();
        if (t.Equals("inf", StringComparison.OrdinalIgnoreCase)) return CorePlacement.Unlimited;
        if (int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int c) && c > 0) return new CorePlacement(c);
        throw new UsageException($"--sim-cores: '{text}' is not a whole number > 0 or inf");
    }

    private static double Positive(string text, string name, bool allowZero)
    {
        if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x) && (x > 0 || (allowZero && x == 0)))
            return x;
        throw new UsageException($"--{name}: '{text}' is not a finite number {(allowZero ? "≥ 0" : "> 0")}");
    }
}
