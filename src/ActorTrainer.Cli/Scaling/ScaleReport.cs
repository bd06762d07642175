using System.Globalization;
using System.Text;
using ActorTrainer.Cli.Reporting;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// Writes a sweep's outputs into one directory: results.csv (one row per configuration),
/// curves.csv (validation loss over wall time and versions), summary.md (machine, settings, table,
/// capacity, how to read it) and the plots throughput.png (tokens/s vs workers with the ideal line),
/// loss_vs_time.png (one line per configuration), staleness.png (histogram of the most-workers async
/// configuration) and staleness_by_config.png (the distribution of every configuration).
/// </summary>
public static class ScaleReport
{
    public const string ResultsCsv = "results.csv", CurvesCsv = "curves.csv", Summary = "summary.md";
    public const string ThroughputPng = "throughput.png", LossPng = "loss_vs_time.png", StalenessPng = "staleness.png", StalenessByConfigPng = "staleness_by_config.png";

    public static readonly string[] ResultColumns =
    [
        "config", "workers", "mode", "staleness_bound", "chunk", "shards", "tokens", "updates", "wall_s", "tokens_per_s",
        "speedup", "efficiency", "core_efficiency", "target_loss", "time_to_target_s", "final_val_loss",
        "gradients_applied", "gradients_rejected", "staleness_mean", "staleness_p50", "staleness_p99", "staleness_max",
        "server_busy", "worker_idle", "chunk_compute_s", "bytes_sent", "bytes_received", "gc_gen2", "completion",
    ];

    public static readonly string[] CurveColumns = ["config", "wall_s", "update", "version", "tokens", "val_loss"];

    /// <summary>Writes every output into <paramref name="directory"/> (created if needed); returns the paths written.</summary>
    public static IReadOnlyList<string> Write(SweepResult sweep, string directory)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        Directory.CreateDirectory(directory);
        string P(string name) => Path.Combine(directory, name);
        var written = new List<string>();

        using (var csv = new CsvWriter(P(ResultsCsv), ResultColumns))
            foreach (var r in sweep.Configs)
                csv.WriteRow(r.Config.Label, r.Config.Workers, Mode(r.Config), r.Config.Mode.Staleness, r.Config.Chunk, r.Config.Shards,
                    r.Tokens, r.Updates, r.WallSeconds, r.TokensPerSecond, r.Speedup, r.Efficiency, r.CoreEfficiency,
                    sweep.TargetLoss, r.TimeToTarget, r.FinalLoss, r.GradientsApplied, r.GradientsRejected,
                    r.StalenessMean, r.StalenessP50, r.StalenessP99, r.StalenessMax, r.ServerBusy, r.WorkerIdle, r.SecondsPerChunk,
                    r.BytesSent, r.BytesReceived, r.Gen2Collections, r.Completion);
        written.Add(P(ResultsCsv));

        using (var csv = new CsvWriter(P(CurvesCsv), CurveColumns))
            foreach (var r in sweep.Configs)
                foreach (var p in r.Curve)
                    csv.WriteRow(r.Config.Label, p.WallSeconds, p.Update, p.Version, p.Tokens, p.Loss);
        written.Add(P(CurvesCsv));

        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        ThroughputPlot(sweep, name).SavePng(P(ThroughputPng));
        LossPlot(sweep, name).SavePng(P(LossPng));
        StalenessHistogram(sweep, name).SavePng(P(StalenessPng));
        StalenessByConfig(sweep, name).SavePng(P(StalenessByConfigPng));
        written.AddRange([P(ThroughputPng), P(LossPng), P(StalenessPng), P(StalenessByConfigPng)]);
        if (sweep.Simulation is not null) written.AddRange(Simulation.SimReport.Write(sweep, directory));

        AtomicFile.WriteAllBytes(P(Summary), Encoding.UTF8.GetBytes(Markdown(sweep)));
        written.Add(P(Summary));
        return written;
    }

    private static string Mode(ScaleConfig c) => c.Mode.Mode.ToString().ToLowerInvariant();

    /// <summary>The line under every sweep plot's title: the sweep's name (its directory) and the settings all configurations share.</summary>
    public static string Subtitle(SweepResult sweep, string name)
    {
        var s = sweep.Settings;
        var t = s.Train;
        string stop = s.Stop == StopRule.Budget ? I($"{s.TokenBudget:N0} tokens each") : I($"each to validation loss {s.TargetLoss}");
        string where = s.Launcher switch
        {
            Launcher.Cluster => I($"cluster processes on {sweep.Cores} cores"),
            Launcher.Sim => "simulated, virtual seconds",
            _ => I($"in-process on {sweep.Cores} cores"),
        };
        return I($"{name}: H={t.Hidden}, B={t.Batch}, {t.Optimizer} lr={t.LearningRate}; {stop}; {where}");
    }

    /// <summary>Tokens/s against workers, one line per group, and over them the ideal n × (mean 1-worker throughput), dashed.</summary>
    public static LineChart ThroughputPlot(SweepResult sweep, string name = "sweep")
    {
        var plot = new LineChart("throughput vs workers", Subtitle(sweep, name), "workers", "throughput (tokens/s)")
        {
            X = AxisScale.Integer,
            XTicks = sweep.Configs.Select(r => (double)r.Config.Workers).Distinct().Order().ToArray(),
            YFromZero = true,
        };
        foreach (var g in sweep.Configs.GroupBy(r => r.Config.Group))
        {
            var points = g.OrderBy(r => r.Config.Workers).ToArray();
            plot.Add(g.Key, points.Select(r => (double)r.Config.Workers).ToArray(), points.Select(r => r.TokensPerSecond).ToArray());
        }
        var ones = sweep.Configs.Where(r => r.Config.Workers == 1).Select(r => r.TokensPerSecond).ToArray();
        if (ones.Length > 0)
        {
            var ns = sweep.Configs.Select(r => (double)r.Config.Workers).Distinct().Order().ToArray();
            plot.AddReference("ideal: n × mean 1-worker", ns, ns.Select(n => n * ones.Average()).ToArray());
            if (ns[^1] > sweep.Cores && sweep.Simulation is null) // simulated workers have a core each
                plot.AddReference(I($"ideal capped at {sweep.Cores} cores"), ns, ns.Select(n => Math.Min(n, sweep.Cores) * ones.Average()).ToArray(), LineChart.ReferenceStyle.GreyDashed);
        }
        return plot;
    }

    /// <summary>Validation loss against wall seconds, one line per configuration.</summary>
    public static LineChart LossPlot(SweepResult sweep, string name = "sweep")
    {
        var plot = new LineChart("validation loss vs wall time", Subtitle(sweep, name), "wall time (s)", "validation loss (nats/char)");
        foreach (var r in sweep.Configs)
            plot.Add(r.Config.Label, r.Curve.Select(p => p.WallSeconds).ToArray(), r.Curve.Select(p => p.Loss).ToArray());
        return plot;
    }

    /// <summary>The configuration whose staleness says most: async (else ssp, else any) with the most workers and fewest shards.</summary>
    public static ConfigResult? StalenessExample(SweepResult sweep) => sweep.Configs
        .OrderBy(r => r.Config.Mode.Mode switch { Core.Training.ConsistencyMode.Async => 0, Core.Training.ConsistencyMode.Ssp => 1, _ => 2 })
        .ThenByDescending(r => r.Config.Workers).ThenBy(r => r.Config.Shards).FirstOrDefault();

    /// <summary>Applied gradients per staleness of <see cref="StalenessExample"/>: one bar per integer.</summary>
    public static IntegerHistogram StalenessHistogram(SweepResult sweep, string name = "sweep")
    {
        var example = StalenessExample(sweep);
        long[] counts = example?.StalenessCounts ?? [];
        return new IntegerHistogram(I($"staleness of applied gradients, {example?.Config.Label ?? "no runs"}"), Subtitle(sweep, name),
            "staleness (versions behind)", I($"applied gradients (of {counts.Sum():N0})"), counts);
    }

    /// <summary>
    /// Fraction of applied gradients at each staleness, one line per configuration, up to the largest
    /// staleness seen; log scale so that a tail of single gradients shows, with a marker on every point.
    /// Configurations whose gradients all had staleness 0 would be one point under another at (0, 1):
    /// they share one entry that lists them by group.
    /// </summary>
    public static LineChart StalenessByConfig(SweepResult sweep, string name = "sweep")
    {
        var plot = new LineChart("staleness distribution by configuration", Subtitle(sweep, name), "staleness (versions behind)",
            "fraction of applied gradients (log scale)") { X = AxisScale.Integer, Y = AxisScale.Log10, Markers = true };
        int shown = sweep.Configs.Select(r => Array.FindLastIndex(r.StalenessCounts, c => c != 0) + 1).DefaultIfEmpty(1).Max();
        bool Fresh(ConfigResult r) => r.StalenessCounts.Length > 0 && r.StalenessCounts.Skip(1).All(c => c == 0) && r.StalenessCounts[0] > 0;
        foreach (var r in sweep.Configs.Where(r => !Fresh(r)))
        {
            double total = Math.Max(1, r.StalenessCounts.Sum());
            int n = Math.Min(Math.Max(shown, 1), r.StalenessCounts.Length);
            plot.Add(r.Config.Label, Enumerable.Range(0, n).Select(s => (double)s).ToArray(),
                r.StalenessCounts.Take(n).Select(c => c > 0 ? c / total : double.NaN).ToArray()); // none at this staleness: no point
        }
        var fresh = sweep.Configs.Where(Fresh).GroupBy(r => r.Config.Group)
            .Select(g => $"{g.Key} n={string.Join(",", g.Select(r => r.Config.Workers))}").ToList();
        if (fresh.Count > 0)
            plot.Add("all at staleness 0:\n" + string.Join("\n", fresh), [0.0], [1.0]);
        return plot;
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    public static string Markdown(SweepResult sweep)
    {
        var s = sweep.Settings;
        var sb = new StringBuilder();
        void L(FormattableString line = default!) => sb.Append(line is null ? "" : line.ToString(CultureInfo.InvariantCulture)).Append('\n');
        L($"# Scaling sweep");
        L();
        L($"- machine: {sweep.Cores} cores; load average {sweep.LoadBefore ?? "n/a"} before, {sweep.LoadAfter ?? "n/a"} after; {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        L($"- model: {sweep.Target}");
        L($"- sweep: workers {string.Join(",", s.Workers)} × modes {string.Join(",", s.Modes)} × k {string.Join(",", s.EffectiveChunks)} × shards {string.Join(",", s.Shards)}");
        L($"- launcher: {(sweep.Launcher.Length > 0 ? sweep.Launcher : "in-process (one actor system, server shards and workers on their own threads)")}");
        L($"- each configuration: {(s.Stop == StopRule.Budget ? $"{s.TokenBudget:N0} training tokens" : $"until validation loss ≤ {s.TargetLoss} (at most {s.TokenBudget:N0} tokens)")}; {s.Points} weight snapshots for the curve; {sweep.TotalSeconds:F0} s in all");
        L($"- target loss for time-to-target: {sweep.TargetLoss:F3} {(sweep.TargetGiven ? "(given)" : "(not given: the highest final loss of the sweep, which every configuration reached)")}");
        L();
        L($"| configuration | tok/s | speedup | efficiency | eff. vs cores | time to target (s) | final val loss | updates | rejected | staleness mean / p50 / p99 / max | server busy | worker idle | MB sent / received | gen2 GCs |");
        L($"|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---:|");
        foreach (var r in sweep.Configs)
            L($"| {r.Config.Label} | {r.TokensPerSecond:N0} | {Opt(r.Speedup, "F2")} | {Opt(r.Efficiency, "P0")} | {Opt(r.CoreEfficiency, "P0")} | {Opt(r.TimeToTarget, "0.0##")} | {r.FinalLoss:F3} | {r.Updates} | {r.GradientsRejected} | {r.StalenessMean:F2} / {r.StalenessP50} / {r.StalenessP99} / {r.StalenessMax} | {Fraction(r.ServerBusy)} | {Fraction(r.WorkerIdle)} | {r.BytesSent / 1e6:F1} / {r.BytesReceived / 1e6:F1} | {r.Gen2Collections} |");
        L();
        if (sweep.Capacity is { } c)
        {
            sb.Append(I($"**Server capacity** at {c.Capacity.ParameterCount:N0} parameters ({c.Capacity.Optimizer}, one server, gradients back to back): ") +
              I($"{c.Capacity.UpdatesPerSecond:N0} updates/s, moving {c.Capacity.BytesPerUpdate / 1e6:F2} MB per update = {c.Capacity.BytesPerSecond / 1e9:F2} GB/s, ") +
              I($"{c.Capacity.FractionOf(c.CopyBandwidth):P0} of this machine's single-thread copy bandwidth ({c.CopyBandwidth / 1e9:F2} GB/s, read + write). ") +
              (double.IsNaN(c.WorkerChunksPerSecond) ? "No 1-worker configuration ran, so no saturation estimate."
                  : I($"One worker computes {c.WorkerChunksPerSecond:F1} chunks/s here, so one server saturates at about {c.SaturationWorkers:F0} async workers (with a core each).")) + "\n");
            L();
        }
        L($"## How to read this");
        L();
        L($"- Throughput is training tokens of applied gradients per second, from a run's start to its last update. Speedup = tok/s(n) ÷ tok/s(1) and efficiency = tok/s(n) ÷ (n · tok/s(1)), both against the 1-worker run of the same mode, k and shards.");
        if (sweep.Simulation is not null) sb.Append(Simulation.SimReport.HowToRead(sweep));
        else L($"- **This machine has {sweep.Cores} cores.** With more workers than cores, workers share cores (and also share them with the server shards and the coordinator), so the best possible speedup is about {sweep.Cores}, not n: efficiency past n = {sweep.Cores} measures oversubscription, not the algorithm. \"eff. vs cores\" divides by min(n, cores) instead; read that column for n > {sweep.Cores}. The machine may also be shared with other work (see the load averages), which lowers every figure.");
        if (s.Train.ExplicitMaxInFlight is { } inFlight)
            L($"- A worker computes while fewer than {inFlight} of its pushes await the server's answer (`--max-in-flight {inFlight}`, every mode). With 1, a lone worker idles for each round trip (see its worker-idle figure) and a second worker fills that gap: efficiency above 100 % at small n is this latency hiding, not a measurement error.");
        else
            L($"- In async mode a worker computes while fewer than 2 of its pushes await the server's answer, so it computes its next chunk during its gradient's round trip (on W without its own last update: a lone worker's gradients can have staleness 1). In sync and ssp mode it waits for the answer (one push in flight), so a lone worker idles for each round trip (see its worker-idle figure) and a second worker can fill that gap: efficiency above 100 % at small n is this latency hiding, not a measurement error.");
        if (s.Train.LocalSteps > 1 || s.Train.PushEncoding is { Kind: not Core.Compression.GradientEncoding.Kinds.Fp32 } || s.Train.WeightsEncoding != Core.Compression.WireEncoding.Fp32)
        {
            string rule = Core.Compression.GradientEncoding.PushesDeltas(s.Train.PushEncoding!, s.Train.LocalSteps)
                ? $": each push is a worker's change of W over {s.Train.LocalSteps} chunk(s) with the run's optimizer, and the server applies the mean change with SGD at lr 1; an update covers {s.Train.LocalSteps} chunk(s) per pushing worker."
                : ".";
            L($"- Traffic reduction (docs/traffic.md): pushes `{s.Train.PushEncoding}`, weights `{s.Train.WeightsEncoding.ToString().ToLowerInvariant()}`, local steps {s.Train.LocalSteps}{rule}");
        }
        L($"- Sync mode averages n gradients per update (a batch n times larger); async and ssp apply each gradient alone. Equal tokens therefore mean fewer, larger updates in sync mode, which is why its loss per token can differ.");
        L($"- Staleness is, per applied gradient, the server's version on arrival minus the version the gradient was computed on (shard 0's view). Rejected counts refused gradient slices summed over shards (ssp: too stale).");
        if (s.Launcher == Launcher.Cluster)
        {
            L($"- **Cluster launcher.** Every configuration ran as fresh processes on this machine: one ps node and n worker nodes (`actortrainer node`, one worker each), talking over the loopback through Akka.Remote. So the figures include serialization and the transport, and the processes — plus this sweep, idle while they run — share the {sweep.Cores} cores.");
            L($"- Throughput's window runs from a configuration's first applied update to its last (the first update's tokens excluded, as they were computed before it), from the ps node's metrics.csv: the processes' start-up (joining, registering, the first chunk) is not timed. Fresh processes get no warm-up run, but the CLI JITs fully optimized code from the first call (tiered compilation off), so there is no slow tier-0 phase to time. Time to target counts from the first update too.");
            L($"- Server busy is the ps node's server actor's time in its message handlers (including assembling gradient parts) ÷ the timed window; (de)serialization on Akka's remoting threads is not in it. Worker idle: each worker node times its own chunk computation and the span from its first chunk's start to its last one's end and reports them when the run ends; idle = 1 − Σ compute ÷ Σ span (waiting for a core mid-chunk counts as computing). \"n/a\" means a node did not report, so it could not be measured.");
            L($"- Bytes are the tensor messages (gradient pushes; registrations and published weights, once per worker node) at the exact length the wire serializer (TensorMessageSerializer) gives them, counted by the server; part headers, Akka's envelopes and control messages (acks, rejections) are not counted. The figures, rejections and staleness histogram are also in each ps node's server.json (DIR/runs/<config>/); node logs are in DIR/runs/<config>-logs/.");
            L($"- gen2 GCs counts full garbage collections summed over the configuration's processes (ps and worker nodes).");
            L($"- The ps node writes a checkpoint of W {s.Points} times per run and does no validation while training; the sweep evaluates those checkpoints after the run, so validation never competes with training for the cores; loss is mean cross-entropy in nats per character on the held-out text.");
        }
        else if (s.Launcher == Launcher.InProcess)
        {
            L($"- Server busy is the busiest shard's time in message handlers ÷ its lifetime. Worker idle is 1 − (wall time inside the chunk computation, summed over workers) ÷ (n · wall time); with more workers than cores, waiting for a core mid-chunk counts as computing.");
            L($"- Bytes are the tensor messages (gradient pushes; registrations and published weights to workers) at the exact length the wire serializer (TensorMessageSerializer) gives them, counted by the servers as they receive and send them; small control messages (acks, rejections) are not counted. Nothing is serialized in-process.");
            L($"- gen2 GCs counts full garbage collections during the run (process-wide). Every update allocates the copy of W it publishes and every push a fresh gradient; above ~21k floats both land on the large-object heap, whose collections pause every thread — a cost of the in-process design that grows with updates/s.");
            L($"- Budget mode evaluates the weight snapshots after each run, so validation never competes with training for the cores; loss is mean cross-entropy in nats per character on the held-out text.");
        }
        L();
        if (sweep.Simulation is not null) sb.Append(Simulation.SimReport.Markdown(sweep));
        L($"![throughput]({ThroughputPng})");
        L($"![validation loss]({LossPng})");
        L($"![staleness]({StalenessPng})");
        L($"![staleness by configuration]({StalenessByConfigPng})");
        return sb.ToString();
    }

    /// <summary>A fraction as a percentage, or "n/a" when it could not be measured (NaN).</summary>
    private static string Fraction(double v) => double.IsNaN(v) ? "n/a" : v.ToString("P0", CultureInfo.InvariantCulture);

    private static string Opt(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "–";
}
