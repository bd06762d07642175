using System.Globalization;
using ActorTrainer.Actors.Security;
using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.Settings;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// Runs each configuration as real processes on 127.0.0.1, started from this CLI's own binary
/// (<see cref="CliExecutable"/>) the way deploy/local-cluster.sh starts them: one
/// <c>actortrainer node --role ps</c> on a free port (the seed) and n <c>--role worker</c> nodes with
/// one worker each, all with hocon/local.conf and the sweep's model options. The ps node owns a run
/// directory under &lt;out&gt;/runs/ with a numbered checkpoint every snapshot interval and no online
/// validation; after it exits, the figures come from that directory (<see cref="PsRunReader"/>:
/// metrics.csv, server.json) and from each worker node's compute report
/// (<see cref="WorkerComputeReport"/>), and the snapshots are evaluated here, after the run, on the
/// sweep's validation text. Each node's output is kept in &lt;out&gt;/runs/&lt;config&gt;-logs/.
/// Cancelling sends the ps node SIGTERM: it ends the run with a final checkpoint, which is measured.
/// </summary>
public sealed class ClusterLauncher : IScaleLauncher
{
    /// <summary>How long worker nodes may take to leave after the ps node exited, or to be followed by
    /// the ps node's exit after they all exited, before they are killed.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    /// <summary>Node settings from the environment (ACTORTRAINER_HOSTNAME, …) would override
    /// hocon/local.conf's loopback addresses, so the nodes do not get them; training ones pass on.</summary>
    private static readonly HashSet<string> NodeEnvironment = NodeSettingsLoader.OptionNames.Select(NodeSettingsLoader.EnvName).ToHashSet(StringComparer.Ordinal);

    private readonly IScaleTarget _target;
    private readonly ScaleSettings _settings;
    private readonly SweepProgress _progress;
    private readonly CliExecutable _cli;
    private readonly string _runs;

    public ClusterLauncher(IScaleTarget target, ScaleSettings settings, SweepProgress progress, CliExecutable? cli = null)
    {
        (_target, _settings, _progress) = (target, settings, progress);
        _cli = cli ?? CliExecutable.Current();
        if (!File.Exists(_cli.LocalConf)) throw new FileNotFoundException($"hocon/local.conf is not next to the actortrainer binary ({_cli.LocalConf})");
        _runs = Path.Combine(Path.GetFullPath(settings.Out ?? Path.Combine(Path.GetTempPath(), "actortrainer-scale")), "runs");
    }

    public string Description =>
        $"cluster: per configuration 1 ps node + n worker nodes (`actortrainer node`, one worker each) as separate processes on 127.0.0.1, " +
        $"over the loopback transport, all sharing this machine's {MachineInfo.Cores} cores";

    /// <summary>Nothing to warm up: every configuration starts fresh processes (their start-up is outside the timed window).</summary>
    public Task WarmUpAsync(CancellationToken ct) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public async Task<ConfigResult> RunAsync(ConfigPlan plan, CancellationToken ct)
    {
        var config = plan.Config;
        string slug = config.Label.Replace(":", "", StringComparison.Ordinal).Replace("=", "", StringComparison.Ordinal).Replace(' ', '-');
        string runDir = Path.Combine(_runs, slug), logs = runDir + "-logs";
        _progress.Begin(plan.Index, plan.Total, config, plan.MaxUpdates);

        var (ps, workers) = await RunProcessesAsync(plan, runDir, logs, ct);
        var rows = PsRunReader.ReadMetrics(runDir);
        var summary = PsRunReader.ReadSummary(runDir);
        var reports = workers.Select(w => WorkerComputeReport.Find(w)).ToArray();
        var result = Measure(plan, runDir, rows, summary, reports);
        _progress.End(result);
        return result;
    }

    /// <summary>Starts the ps node and the worker nodes, waits for the run, keeps their output; the workers' stderr.</summary>
    private async Task<(string Ps, string[] Workers)> RunProcessesAsync(ConfigPlan plan, string runDir, string logs, CancellationToken ct)
    {
        var c = plan.Config;
        int port = NodeProcess.FreePort();
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        string[] common =
        [
            "--config", _settings.ConfigFiles is { } files ? $"{_cli.LocalConf},{files}" : _cli.LocalConf,
            "--seeds", $"127.0.0.1:{port}", "--join-timeout", "60s", .. _settings.NodeArgs,
            "--chunk", I(c.Chunk), "--mode", c.Mode.Mode.ToString().ToLowerInvariant(), "--staleness", I(c.Mode.Staleness),
            "--progress", "off", "--sample", "0",
        ];
        Directory.CreateDirectory(logs);
        // Mutual TLS as in any cluster run: the configuration's own CA and a certificate per node, beside its logs.
        string certs = Path.Combine(logs, "certs");
        if (Directory.Exists(certs)) Directory.Delete(certs, recursive: true); // a rerun into the same --out
        RunCertificates.Create(certs, ["ps", .. Enumerable.Range(1, c.Workers).Select(i => $"worker-{i}")], ["127.0.0.1"], DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        string[] As(string node) => ["--certs", certs, "--node-name", node];
        string[] psArgs = [.. common, .. As("ps"), "--role", "ps", "--port", I(port), "--workers", I(c.Workers), "--updates", I(plan.MaxUpdates),
            "--eval-every", "0", "--checkpoint-every", I(plan.SnapshotEvery), "--out", runDir];
        string[] WorkerArgs(int i) => [.. common, .. As($"worker-{i}"), "--role", "worker", "--workers-per-node", "1"];

        var nodes = new List<NodeProcess>();
        try
        {
            var ps = NodeProcess.Start("ps", _cli, psArgs, dropVariable: NodeEnvironment.Contains);
            nodes.Add(ps);
            for (int i = 1; i <= c.Workers; i++) nodes.Add(NodeProcess.Start($"worker-{i}", _cli, WorkerArgs(i), dropVariable: NodeEnvironment.Contains));
            var workers = nodes.Skip(1).ToArray();
            using (ct.Register(ps.Terminate))
            {
                DateTime? allWorkersGone = null;
                var stall = new StallWatch(TimeSpan.FromSeconds(_settings.StallSeconds));
                while (!ps.HasExited)
                {
                    await Task.Delay(100, CancellationToken.None);
                    if (workers.FirstOrDefault(w => w.ExitCode is not (null or 0)) is { } failed)
                        throw Failure(c, $"{failed.Name} exited with {failed.ExitCode} while the ps node ran: {Tail(failed.Stderr)}", logs, nodes);
                    if (workers.All(w => w.HasExited) && (allWorkersGone ??= DateTime.UtcNow) < DateTime.UtcNow - Grace)
                        throw Failure(c, $"every worker node exited but the ps node still ran {Grace.TotalSeconds:F0} s later", logs, nodes);
                    if (stall.Stalled(() => ProgressSignature(runDir, nodes)))
                        throw Failure(c, $"no progress for {stall.Timeout.TotalSeconds:0} s (--stall-timeout): no node printed anything, exited, " +
                                         "or grew the ps node's metrics or checkpoints; last lines: " +
                                         string.Join("; ", nodes.Select(n => $"{n.Name} (process state {n.OsState}{(n.HasExited ? ", exited" : "")}): {Tail(n.Stderr)}")), logs, nodes);
                }
            }
            int psExit = ps.ExitCode ?? -1;
            foreach (var w in workers)
            {
                try { await w.ExitCodeAsync(Grace); } // they leave once the ps tells them the run is over
                catch (TimeoutException) { /* killed; its output is kept */ }
            }
            WriteLogs(logs, nodes);
            if (psExit != 0) throw Failure(c, $"the ps node exited with {psExit}: {Tail(ps.Stderr)}", logs, nodes);
            return (ps.Stderr, workers.Select(w => w.Stderr).ToArray());
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync(); // kills whatever is left
        }
    }

    /// <summary>The configuration's figures from the ps node's run directory and the worker nodes' reports.</summary>
    private ConfigResult Measure(ConfigPlan plan, string runDir, IReadOnlyList<MetricsRow> rows, Training.ServerSummary summary, IReadOnlyList<WorkerComputeReport?> reports)
    {
        var (tokens, wall) = PsRunReader.TimedWindow(rows);
        double t0 = rows.Count > 0 ? rows[0].ElapsedSeconds : 0;
        var byUpdate = new Dictionary<long, (double T, long Tokens)>();
        long cumulative = 0;
        foreach (var r in rows) byUpdate[r.Update] = (r.ElapsedSeconds - t0, cumulative += r.Tokens);

        // Validation curve: W0 at time 0, then every snapshot the ps wrote, evaluated now (never during training).
        var curve = new List<CurvePoint> { new(0, 0, 0, 0, plan.InitialLoss) };
        foreach (var (updates, path) in PsRunReader.Snapshots(runDir))
        {
            if (updates == 0 || !byUpdate.TryGetValue(updates, out var at)) continue;
            var checkpoint = _target.ReadCheckpoint(path);
            long version = checkpoint.Settings.TryGetValue("version", out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : updates;
            curve.Add(new CurvePoint(Math.Max(0, at.T), updates, version, at.Tokens, _target.ValidationLoss(checkpoint.W)));
        }
        double finalLoss = curve.Count > 1 && curve[^1].Update == summary.Updates
            ? curve[^1].Loss
            : _target.ValidationLoss(_target.ReadCheckpoint(Path.Combine(runDir, "model.safetensors")).W);

        var counts = PsRunReader.StalenessCounts(rows);
        double compute = reports.Sum(r => r?.ComputeSeconds ?? 0);
        long chunks = reports.Sum(r => r?.Chunks ?? 0);
        return new ConfigResult
        {
            Config = plan.Config,
            Tokens = tokens,
            Updates = summary.Updates,
            WallSeconds = wall,
            FinalLoss = finalLoss,
            GradientsApplied = summary.GradientsApplied,
            GradientsRejected = summary.RejectionsTotal,
            StalenessCounts = counts,
            StalenessMean = ScaleMetrics.Mean(counts),
            StalenessP50 = ScaleMetrics.Percentile(counts, 0.5),
            StalenessP99 = ScaleMetrics.Percentile(counts, 0.99),
            StalenessMax = counts.Length - 1,
            // The server's lifetime includes waiting for the worker processes to start, so its busy time
            // is taken over the timed window (nearly all of it falls there).
            ServerBusy = summary.BusySeconds is { } busy && wall > 0 ? Math.Clamp(busy / wall, 0, 1) : double.NaN,
            WorkerIdle = PsRunReader.WorkerIdle(reports),
            SecondsPerChunk = chunks > 0 ? compute / chunks : 0,
            BytesSent = summary.TensorBytesReceived ?? throw new InvalidDataException($"{runDir}/server.json has no load report (tensor bytes)"),
            BytesReceived = summary.TensorBytesSent ?? 0,
            Gen2Collections = summary.Gen2Collections + reports.Sum(r => r?.Gen2Collections ?? 0),
            Completion = summary.Reason,
            Curve = curve,
        };
    }

    /// <summary>Grows whenever the configuration moves: a node prints or exits, the ps node's metrics.csv
    /// or a checkpoint grows. Read once a second by the stall watch (a few stat calls).</summary>
    private static long ProgressSignature(string runDir, IEnumerable<NodeProcess> nodes)
    {
        long signature = 0;
        foreach (var n in nodes) signature += n.Stdout.Length + n.Stderr.Length + (n.HasExited ? 1 : 0);
        try
        {
            var metrics = new FileInfo(Path.Combine(runDir, "metrics.csv"));
            if (metrics.Exists) signature += metrics.Length;
            string checkpoints = Path.Combine(runDir, "checkpoints");
            if (Directory.Exists(checkpoints))
                foreach (var f in new DirectoryInfo(checkpoints).EnumerateFiles()) signature += f.Length + 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DateTime.UtcNow.Ticks; // a checkpoint renamed while listed: the ps node is writing, so it moves
        }
        return signature;
    }

    private static void WriteLogs(string logs, IEnumerable<NodeProcess> nodes)
    {
        foreach (var n in nodes)
        {
            File.WriteAllText(Path.Combine(logs, n.Name + ".log"), n.Stderr);
            File.WriteAllText(Path.Combine(logs, n.Name + ".out"), n.Stdout);
        }
    }

    private static ClusterRunException Failure(ScaleConfig c, string what, string logs, IEnumerable<NodeProcess> nodes)
    {
        foreach (var n in nodes) n.Kill();
        try { WriteLogs(logs, nodes); } catch (IOException) { /* the message still says what happened */ }
        return new ClusterRunException($"configuration {c.Label}: {what} (node logs in {logs})");
    }

    /// <summary>The last few lines of a node's stderr: usually the reason it stopped.</summary>
    private static string Tail(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no output)" : string.Join(" | ", lines.TakeLast(3));
    }
}

/// <summary>Says when a configuration has stalled: its progress signature (which only grows while anything
/// happens) has not changed for <see cref="Timeout"/>. Looks at most once a second.</summary>
internal sealed class StallWatch(TimeSpan timeout, Func<DateTime>? clock = null)
{
    private readonly Func<DateTime> _now = clock ?? (() => DateTime.UtcNow);
    private DateTime? _changed, _looked;
    private long _signature = long.MinValue;

    public TimeSpan Timeout { get; } = timeout;

    /// <summary>True once <paramref name="signature"/> (read at most once a second) has stayed the same for
    /// longer than the timeout.</summary>
    public bool Stalled(Func<long> signature)
    {
        var now = _now();
        if (_looked is { } last && now - last < TimeSpan.FromSeconds(1)) return false;
        _looked = now;
        long current = signature();
        if (current != _signature || _changed is null)
        {
            (_signature, _changed) = (current, now);
            return false;
        }
        return now - _changed.Value > Timeout;
    }
}

/// <summary>A configuration's node processes failed; the message names the configuration, the reason and the logs.</summary>
public sealed class ClusterRunException(string message) : Exception(message);
