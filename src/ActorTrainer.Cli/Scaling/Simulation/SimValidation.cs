using System.Globalization;
using System.Text;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Scaling.Simulation;

/// <summary>
/// `scale --launcher sim --sim-compare inproc`: the simulator against reality in one session. Runs the
/// sweep in process (DIR/inproc), then simulated with costs measured now (DIR/sim), and writes
/// validation.md and validation.csv: per configuration, measured and simulated tokens/s and mean
/// staleness side by side, with the load average of the machine over both.
/// </summary>
public static class SimValidation
{
    public const string Markdown = "validation.md", Csv = "validation.csv";
    /// <summary>The agreement the simulator is held to (issue 16): tokens/s within 15 %, mean staleness within 0.5.</summary>
    public const double ThroughputTolerance = 0.15, StalenessTolerance = 0.5;

    public static readonly string[] Columns =
    [
        "config", "measured_tokens_per_s", "simulated_tokens_per_s", "throughput_error", "throughput_ok",
        "measured_staleness_mean", "simulated_staleness_mean", "staleness_difference", "staleness_ok",
        "measured_worker_idle", "simulated_worker_idle", "measured_chunk_s", "simulated_chunk_s",
    ];

    public static async Task<int> RunAsync(IScaleTarget target, ScaleSettings settings, SweepProgress progress, TextWriter stdout, CancellationToken ct)
    {
        string dir = settings.Out ?? throw new ArgumentException("the validation needs an output directory", nameof(settings));
        string? loadBefore = MachineInfo.LoadAverage();
        progress.Note("validation, 1 of 2: every configuration in process");
        var inproc = settings with { Launcher = Launcher.InProcess, Out = Path.Combine(dir, "inproc"), Sim = new SimOptions() };
        var measured = await new ScaleSweep(target, inproc, progress).RunAsync(ct);
        ScaleReport.Write(measured, inproc.Out!);
        progress.Note("validation, 2 of 2: the same configurations simulated, with costs measured now");
        var simulated = settings with { Out = Path.Combine(dir, "sim") };
        var sim = await new ScaleSweep(target, simulated, progress).RunAsync(ct);
        ScaleReport.Write(sim, simulated.Out!);

        var rows = measured.Configs.Join(sim.Configs, m => m.Config, s => s.Config, (m, s) => (M: m, S: s)).ToArray();
        using (var csv = new CsvWriter(Path.Combine(dir, Csv), Columns))
            foreach (var (m, s) in rows)
                csv.WriteRow(m.Config.Label, m.TokensPerSecond, s.TokensPerSecond, Error(m, s), Ok(m, s).Throughput ? 1 : 0,
                    m.StalenessMean, s.StalenessMean, s.StalenessMean - m.StalenessMean, Ok(m, s).Staleness ? 1 : 0,
                    m.WorkerIdle, s.WorkerIdle, m.SecondsPerChunk, s.SecondsPerChunk);
        string text = Table(rows, loadBefore, MachineInfo.LoadAverage(), sim);
        AtomicFile.WriteAllBytes(Path.Combine(dir, Markdown), Encoding.UTF8.GetBytes(text));
        stdout.WriteLine(text);
        stdout.WriteLine($"wrote {Markdown}, {Csv}, and both sweeps' outputs (inproc/, sim/) to {dir}");
        return 0;
    }

    private static double Error(ConfigResult m, ConfigResult s) => m.TokensPerSecond > 0 ? s.TokensPerSecond / m.TokensPerSecond - 1 : double.NaN;

    private static (bool Throughput, bool Staleness) Ok(ConfigResult m, ConfigResult s) =>
        (Math.Abs(Error(m, s)) <= ThroughputTolerance, Math.Abs(s.StalenessMean - m.StalenessMean) <= StalenessTolerance);

    private static string Table((ConfigResult M, ConfigResult S)[] rows, string? loadBefore, string? loadAfter, SweepResult sim)
    {
        var sb = new StringBuilder();
        void L(FormattableString line) => sb.Append(line.ToString(CultureInfo.InvariantCulture)).Append('\n');
        L($"# Simulated vs measured");
        L($"");
        L($"- machine: {MachineInfo.Cores} cores; load average {loadBefore ?? "n/a"} before, {loadAfter ?? "n/a"} after; measured in process first, then simulated with costs measured right after");
        L($"- model: {sim.Target}");
        L($"- simulation: {sim.Launcher}");
        L($"- agreement asked for: tokens/s within {ThroughputTolerance:P0}, mean staleness within {StalenessTolerance}");
        L($"");
        L($"| configuration | tok/s measured | tok/s simulated | error | staleness mean measured | simulated | difference | worker idle measured / simulated | chunk ms measured / simulated |");
        L($"|---|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var (m, s) in rows)
        {
            var ok = Ok(m, s);
            L($"| {m.Config.Label} | {m.TokensPerSecond:N0} | {s.TokensPerSecond:N0} | {Error(m, s):+0.0%;-0.0%} {(ok.Throughput ? "✓" : "✗")} | {m.StalenessMean:F2} | {s.StalenessMean:F2} | {s.StalenessMean - m.StalenessMean:+0.00;-0.00} {(ok.Staleness ? "✓" : "✗")} | {m.WorkerIdle:P0} / {s.WorkerIdle:P0} | {m.SecondsPerChunk * 1e3:F2} / {s.SecondsPerChunk * 1e3:F2} |");
        }
        L($"");
        return sb.ToString();
    }
}
