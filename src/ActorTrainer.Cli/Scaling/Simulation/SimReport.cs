using System.Globalization;
using System.Text;
using ActorTrainer.Cli.Reporting;
using ActorTrainer.Core.Reporting;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Scaling.Simulation;

/// <summary>
/// The simulator's own outputs beside a sweep's usual ones: sim_costs.csv (every cost of every
/// configuration with its source), sim_workers.csv (each worker's chunks, virtual compute and idle
/// fraction), idle_by_worker.png; with several ssp bounds, idle and time to target against the bound
/// (bound_idle.png, bound_time_to_target.png); with stragglers, their cost (straggler_cost.png,
/// throughput with ÷ without them). And its sections of summary.md.
/// </summary>
public static class SimReport
{
    public const string CostsCsv = "sim_costs.csv", WorkersCsv = "sim_workers.csv", IdlePng = "idle_by_worker.png",
        BoundIdlePng = "bound_idle.png", BoundTimePng = "bound_time_to_target.png", BoundLossPng = "bound_final_loss.png", StragglerPng = "straggler_cost.png";

    public static readonly string[] CostColumns = ["config", "cost", "seconds", "source"];
    public static readonly string[] WorkerColumns = ["config", "worker", "straggler", "chunks", "compute_s", "wall_s", "idle"];

    public static IReadOnlyList<string> Write(SweepResult sweep, string directory)
    {
        var sim = sweep.Simulation ?? throw new ArgumentException("not a simulated sweep", nameof(sweep));
        string P(string name) => Path.Combine(directory, name);
        var written = new List<string>();
        using (var csv = new CsvWriter(P(CostsCsv), CostColumns))
            foreach (var run in sim.Runs)
            {
                foreach (var c in run.Costs) csv.WriteRow(run.Config.Label, c.Name, c.Seconds, c.Source);
                csv.WriteRow(run.Config.Label, "network", double.NaN, sim.Network);
                csv.WriteRow(run.Config.Label, "stragglers", double.NaN, sim.Stragglers);
                csv.WriteRow(run.Config.Label, "jitter", double.NaN, sim.Jitter);
            }
        written.Add(P(CostsCsv));
        using (var csv = new CsvWriter(P(WorkersCsv), WorkerColumns))
            foreach (var run in sim.Runs)
                foreach (var w in run.Workers)
                    csv.WriteRow(run.Config.Label, w.WorkerId, w.Straggler ? 1 : 0, w.Chunks, w.ComputeSeconds, run.WallSeconds, w.Idle(run.WallSeconds));
        written.Add(P(WorkersCsv));

        string subtitle = ScaleReport.Subtitle(sweep, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))));
        var idle = new LineChart("idle fraction of each simulated worker", subtitle, "worker id", "idle fraction");
        foreach (var run in sim.Runs)
            idle.Add(run.Config.Label, run.Workers.Select(w => (double)w.WorkerId).ToArray(), run.Idle);
        idle.SavePng(P(IdlePng));
        written.Add(P(IdlePng));

        if (BoundGroups(sweep).Any())
        {
            // a refused gradient's compute is lost as surely as idle time: show both
            LineChart Chart(string title, string yLabel) => new(title, subtitle, "ssp staleness bound s", yLabel) { Markers = true };
            var idlePlot = Chart("idle and refused fractions vs ssp bound s (sync, async flat)", "fraction");
            AddBound(idlePlot, sweep, r => r.WorkerIdle, "idle");
            AddBound(idlePlot, sweep, Refused, "refused");
            idlePlot.SavePng(P(BoundIdlePng));
            AddBound(Chart("final validation loss vs ssp bound s (sync, async flat)", "validation loss (nats/char)"), sweep, r => r.FinalLoss).SavePng(P(BoundLossPng));
            AddBound(Chart("time to target loss vs ssp bound s (sync, async flat)", "virtual seconds to target"), sweep, r => r.TimeToTarget ?? double.NaN).SavePng(P(BoundTimePng));
            written.AddRange([P(BoundIdlePng), P(BoundTimePng), P(BoundLossPng)]);
        }
        if (sim.Runs.Any(r => r.WithoutStragglers is not null))
        {
            var plot = new LineChart("cost of the stragglers: throughput without ÷ with them", subtitle, "workers", "slowdown (×)") { Markers = true };
            foreach (var g in Pairs(sweep).GroupBy(p => p.With.Config.Group))
            {
                var pts = g.OrderBy(p => p.With.Config.Workers).ToArray();
                plot.Add(g.Key, pts.Select(p => (double)p.With.Config.Workers).ToArray(), pts.Select(p => p.Slowdown).ToArray());
            }
            plot.SavePng(P(StragglerPng));
            written.Add(P(StragglerPng));
        }
        return written;
    }

    /// <summary>(n, k, shards) groups with at least two ssp bounds: the ones a bound plot can show.</summary>
    private static IEnumerable<IGrouping<(int, int, int), ConfigResult>> BoundGroups(SweepResult sweep) => sweep.Configs
        .GroupBy(r => (r.Config.Workers, r.Config.Chunk, r.Config.Shards))
        .Where(g => g.Count(r => r.Config.Mode.Mode == ConsistencyMode.Ssp) >= 2);

    /// <summary>Refused gradient slices ÷ all pushed: compute spent on gradients never applied.</summary>
    public static double Refused(ConfigResult r) =>
        r.GradientsApplied + r.GradientsRejected > 0 ? (double)r.GradientsRejected / (r.GradientsApplied + r.GradientsRejected) : 0;

    /// <summary>Per (n, k, shards): y against s for ssp, and sync and async as flat lines across the bounds.</summary>
    private static LineChart AddBound(LineChart plot, SweepResult sweep, Func<ConfigResult, double> y, string? what = null)
    {
        foreach (var g in BoundGroups(sweep))
        {
            string at = $"n={g.Key.Item1} k={g.Key.Item2} shards={g.Key.Item3}";
            var ssp = g.Where(r => r.Config.Mode.Mode == ConsistencyMode.Ssp).OrderBy(r => r.Config.Mode.Staleness).ToArray();
            double[] span = [ssp[0].Config.Mode.Staleness, ssp[^1].Config.Mode.Staleness];
            string prefix = what is null ? "" : what + ": ";
            plot.Add($"{prefix}ssp {at}", ssp.Select(r => (double)r.Config.Mode.Staleness).ToArray(), ssp.Select(y).ToArray());
            foreach (var flat in g.Where(r => r.Config.Mode.Mode != ConsistencyMode.Ssp))
                plot.Add($"{prefix}{flat.Config.Mode} {at}", span, [y(flat), y(flat)]);
        }
        return plot;
    }

    private sealed record StragglerPair(ConfigResult With, ConfigResult Without, double Target)
    {
        public double Slowdown => With.TokensPerSecond > 0 ? Without.TokensPerSecond / With.TokensPerSecond : double.NaN;
    }

    /// <summary>Each configuration with stragglers beside its twin without; the target for the time to
    /// target is the sweep's if given, else the loss both reached (the higher final loss of the two).</summary>
    private static IEnumerable<StragglerPair> Pairs(SweepResult sweep) =>
        from run in sweep.Simulation!.Runs
        where run.WithoutStragglers is not null
        let with = sweep.Configs.First(c => c.Config == run.Config)
        let target = sweep.TargetGiven ? sweep.TargetLoss : Math.Max(with.FinalLoss, run.WithoutStragglers!.FinalLoss)
        select new StragglerPair(with, run.WithoutStragglers!, target);

    public static string HowToRead(SweepResult sweep)
    {
        var sb = new StringBuilder();
        sb.Append("- **Simulated.** Every figure is in virtual seconds: the worker and server state classes that real runs use decided every step, and every gradient was computed for real on the real data, but the time each step took came from the cost model below (measured on this machine, given, or an assumed default — each says which). So n is not limited by this machine's cores: each simulated worker has a machine of its own, and efficiency is against n.\n");
        sb.Append("- Server busy is the busiest shard's modelled handler time ÷ the time of the last update; worker idle is 1 − a worker's virtual compute time ÷ that time, averaged over workers (each worker's own in sim_workers.csv). gen2 GCs are the simulator process's own. Validation costs no virtual time.\n");
        return sb.ToString();
    }

    public static string Markdown(SweepResult sweep)
    {
        var sim = sweep.Simulation!;
        var sb = new StringBuilder();
        void L(FormattableString line) => sb.Append(line.ToString(CultureInfo.InvariantCulture)).Append('\n');
        L($"## Simulation");
        L($"");
        L($"- network: {sim.Network}");
        L($"- stragglers: {sim.Stragglers}; chunk-time jitter: {sim.Jitter}");
        L($"");
        L($"| configuration | chunk (µs) | push / update / sum per shard (µs) | virtual s | simulated in (real s) | events | worker idle min / median / max | stragglers' idle |");
        L($"|---|---:|---|---:|---:|---:|---|---|");
        foreach (var run in sim.Runs)
        {
            var c = run.Costs.ToDictionary(x => x.Name, x => x.Seconds * 1e6);
            var idle = run.Idle.Order().ToArray();
            var slow = run.Workers.Where(w => w.Straggler).Select(w => w.Idle(run.WallSeconds)).ToArray();
            L($"| {run.Config.Label} | {c["chunk"]:N1} | {c["push"]:N1} / {c["update"]:N1} / {c["sum"]:N1} | {run.WallSeconds:F3} | {run.RealSeconds:F1} | {run.Events:N0} | {idle[0]:P0} / {idle[idle.Length / 2]:P0} / {idle[^1]:P0} | {(slow.Length == 0 ? "–" : slow.Average().ToString("P0", CultureInfo.InvariantCulture))} |");
        }
        L($"");
        L($"Where each cost came from:");
        L($"");
        foreach (var (name, source) in sim.Runs.SelectMany(r => r.Costs).Select(x => (x.Name, x.Source)).Distinct())
            L($"- {name}: {source}");
        L($"");
        var pairs = Pairs(sweep).ToArray();
        if (pairs.Length > 0)
        {
            L($"**Cost of the stragglers** ({sim.Stragglers}): each configuration simulated again without them, with the same seed.");
            L($"");
            L($"| configuration | tok/s with | tok/s without | slowdown | target loss | time to target with / without (virtual s) |");
            L($"|---|---:|---:|---:|---:|---|");
            foreach (var p in pairs)
                L($"| {p.With.Config.Label} | {p.With.TokensPerSecond:N0} | {p.Without.TokensPerSecond:N0} | {p.Slowdown:F2}× | {p.Target:F3} | {Opt(ScaleMetrics.TimeToTarget(p.With.Curve, p.Target))} / {Opt(ScaleMetrics.TimeToTarget(p.Without.Curve, p.Target))} |");
            L($"");
            L($"![straggler cost]({StragglerPng})");
        }
        if (BoundGroups(sweep).Any())
        {
            L($"![idle vs bound]({BoundIdlePng})");
            L($"![time to target vs bound]({BoundTimePng})");
            L($"![final loss vs bound]({BoundLossPng})");
        }
        L($"![idle by worker]({IdlePng})");
        L($"");
        return sb.ToString();
    }

    private static string Opt(double? v) => v is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "never";
}
