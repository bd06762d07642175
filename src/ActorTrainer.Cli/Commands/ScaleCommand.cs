using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Scaling;

namespace ActorTrainer.Cli.Commands;

/// <summary>`actortrainer scale [options]`: a scaling sweep over worker counts, modes, k and shards.</summary>
internal static class ScaleCommand
{
    public static readonly string Help = """
        usage: actortrainer scale [options]

        Trains the same model once per configuration — workers × modes × chunk lengths × server shards —
        in this process or as node processes on this machine, and reports throughput, speedup and
        efficiency against 1 worker, time to a target loss, final validation loss, updates applied and
        rejected, staleness, server busy and worker idle fractions and bytes sent/received; then
        measures one server's capacity at the model's size. Defaults finish in a few minutes on 2 cores.

        Sweep:
          --workers N,N,…        worker counts (1,2,4)
          --modes M,M,…          sync | async | ssp | ssp:S (sync,async,ssp:2)
          --chunks K,K,…         chunk lengths k (the model's --chunk, 25)
          --shards N,N,…         parameter-server shards, W split by key range (1,2)
          --budget TOKENS        training tokens per configuration (2000000); the cap with --until target
          --target LOSS          target validation loss (nats/char) for time-to-target
          --until budget|target  stop each configuration at the budget (default) or at the target loss
          --points N             weight snapshots per configuration for the loss curve (16)
          --val-tokens N         held-out characters per validation (8000)
          --capacity-seconds S   time spent measuring server capacity after the sweep; 0 = skip (1)
          --out DIR              output directory, new or empty (./scale/<timestamp>)
          --launcher inproc|cluster
                                 inproc (default): every configuration in this process, one actor
                                 system. cluster: every configuration as real processes on 127.0.0.1
                                 started from this binary like deploy/local-cluster.sh — 1 ps node + n
                                 worker nodes (`actortrainer node`, one worker each); figures come from
                                 the ps node's run directory (DIR/runs/<config>/, with node logs in
                                 DIR/runs/<config>-logs/) and the worker nodes' compute reports, and
                                 include the loopback transport. Cluster: --shards 1 only (its default;
                                 a ps node is one unsharded server) and --until budget only.
          --stall-timeout S      cluster: a configuration whose nodes print nothing, write no metrics or
                                 checkpoints and do not exit for S seconds has stalled; its nodes are
                                 killed and the sweep fails with their logs (300)
        {SimHelp}
        Model and data (as for train): --corpus --hidden (128) --batch (16) --chunk --truncation
          --activation --clip-norm --clip-value --optimizer (adam) --lr --seed --validation-fraction
          --max-in-flight N|auto (auto: 2 in async, 1 in sync and ssp) --progress on|off --config FILE

        Writes results.csv, curves.csv, summary.md, throughput.png, loss_vs_time.png, staleness.png
        and staleness_by_config.png (sim: also sim_costs.csv, sim_workers.csv and their plots).
        """.Replace("{SimHelp}", Scaling.Simulation.SimOptions.Help.TrimEnd('\n', '\r'));

    /// <summary>Options of the sweep itself; everything else goes to the train settings loader.</summary>
    private static readonly string[] SweepOptions =
        ["workers", "modes", "chunks", "shards", "budget", "target", "until", "points", "val-tokens", "capacity-seconds", "out", "launcher", "stall-timeout", .. Scaling.Simulation.SimOptions.Names];

    /// <summary>Train options the cluster launcher sets per configuration or passes separately, not as given.</summary>
    private static readonly string[] NotPassedToNodes = ["chunk", "progress", "config"];

    /// <summary>Train options that mean nothing for a sweep (it sets them per configuration or never uses them).</summary>
    private static readonly string[] TrainOnly =
        ["mode", "staleness", "updates", "init", "resume", "eval-every", "checkpoint-every", "sample", "temperature"];

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Contains("--help") || args.Contains("-h")) { stdout.WriteLine(Help); return 0; }
        var settings = Parse(args);
        string dir = PrepareOutput(settings.Out);
        settings = settings with { Out = dir }; // the cluster launcher puts the ps nodes' run directories under it
        var progress = new SweepProgress(stderr, settings.Train.Progress);
        var target = new CorpusScaleTarget(settings.Train, settings.ValidationTokens);
        progress.Note($"{MachineInfo.Describe()}");
        progress.Note($"model: {target.Description}");
        progress.Note($"{settings.Configurations().Count} configurations ({(settings.Launcher == Launcher.Cluster ? "cluster: node processes on 127.0.0.1" : "in-process")}); output in {dir}");

        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        SweepResult result;
        if (settings.Sim.CompareInProcess)
        {
            try { return await Scaling.Simulation.SimValidation.RunAsync(target, settings, progress, stdout, cts.Token); }
            finally { Console.CancelKeyPress -= onCancel; }
        }
        try { result = await new ScaleSweep(target, settings, progress).RunAsync(cts.Token); }
        catch (Exception e) when (e is ClusterRunException or InvalidDataException) // a node failed, or left unreadable results
        {
            stderr.WriteLine($"error: {e.Message}");
            return 1;
        }
        finally { Console.CancelKeyPress -= onCancel; }

        ScaleReport.Write(result, dir);
        stdout.WriteLine(File.ReadAllText(Path.Combine(dir, ScaleReport.Summary)).Split("\n## How to read this")[0].TrimEnd());
        stdout.WriteLine();
        stdout.WriteLine($"wrote {ScaleReport.ResultsCsv}, {ScaleReport.CurvesCsv}, {ScaleReport.Summary} and plots to {dir}");
        if (cts.IsCancellationRequested) stdout.WriteLine($"stopped early: {result.Configs.Count} of {settings.Configurations().Count} configurations ran");
        return 0;
    }

    /// <summary>Sweep options from the command line, model options through the train settings layers.</summary>
    internal static ScaleSettings Parse(string[] args)
    {
        var all = new ArgList(args);
        if (TrainOnly.FirstOrDefault(all.Has) is { } trainOnly)
            throw new UsageException($"--{trainOnly} is a train option; scale sets it per configuration (see --modes, --budget) or does not use it");
        var trainArgs = all.Names.Where(n => !SweepOptions.Contains(n)).SelectMany(n => all.Get(n) is { } v ? new[] { $"--{n}={v}" } : [$"--{n}"]).ToArray();
        var trainList = new ArgList(trainArgs);
        var train = Settings.TrainSettingsLoader.Load(trainList);
        trainList.RejectUnused("scale");

        var s = new ScaleSettings
        {
            Train = train,
            NodeArgs = trainArgs.Where(a => !NotPassedToNodes.Contains(a[2..].Split('=')[0])).ToArray(),
            ConfigFiles = all.Get("config"),
        };
        if (all.Get("launcher") is { } launcher)
            s = s with { Launcher = launcher.Trim().ToLowerInvariant() switch
            {
                "inproc" => Launcher.InProcess,
                "cluster" => Launcher.Cluster,
                "sim" => Launcher.Sim,
                _ => throw new UsageException($"--launcher: unknown value '{launcher}' (expected inproc, cluster or sim)"),
            } };
        // A ps node runs one unsharded server: the cluster sweep's default is shards 1 (an explicit list is checked).
        if (s.Launcher == Launcher.Cluster && !all.Has("shards")) s = s with { Shards = [1] };
        if (all.Get("workers") is { } w) s = s with { Workers = ServerBench.ParseList(w, "workers") };
        if (all.Get("chunks") is { } k) s = s with { Chunks = ServerBench.ParseList(k, "chunks") };
        if (all.Get("shards") is { } sh) s = s with { Shards = ServerBench.ParseList(sh, "shards") };
        if (all.Get("modes") is { } m)
        {
            try { s = s with { Modes = m.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(x => ModeSpec.Parse(x, train.Staleness)).ToArray() }; }
            catch (ArgumentException e) { throw new UsageException($"--modes: {e.Message.Split(" (Parameter")[0]}"); }
        }
        if (all.Get("budget") is { } b) s = s with { TokenBudget = Number(b, "budget", long.Parse) };
        if (all.Get("target") is { } t) s = s with { TargetLoss = Number(t, "target", double.Parse) };
        if (all.Get("until") is { } u)
            s = s with { Stop = u.Trim().ToLowerInvariant() switch
            {
                "budget" => StopRule.Budget,
                "target" => StopRule.Target,
                _ => throw new UsageException($"--until: unknown value '{u}' (expected budget or target)"),
            } };
        if (all.Get("points") is { } p) s = s with { Points = Number(p, "points", int.Parse) };
        if (all.Get("val-tokens") is { } vt) s = s with { ValidationTokens = Number(vt, "val-tokens", int.Parse) };
        if (all.Get("capacity-seconds") is { } c) s = s with { CapacitySeconds = Number(c, "capacity-seconds", double.Parse) };
        if (all.Get("stall-timeout") is { } st) s = s with { StallSeconds = Number(st, "stall-timeout", double.Parse) };
        s = s with { Out = all.Get("out"), Sim = Scaling.Simulation.SimOptions.Parse(all) };
        if (s.Validate() is { } problem) throw new UsageException(problem);
        return s;
    }

    /// <summary>An invariant-culture number, or a usage error naming the option.</summary>
    private static T Number<T>(string text, string option, Func<string, IFormatProvider, T> parse)
    {
        try { return parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new UsageException($"--{option}: '{text}' is not a valid number");
        }
    }

    /// <summary>The output directory: given (must be new or empty: CSVs are never appended across sweeps) or ./scale/&lt;timestamp&gt;.</summary>
    private static string PrepareOutput(string? requested)
    {
        string dir = Path.GetFullPath(requested ?? Path.Combine("scale", DateTime.Now.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture)));
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new UsageException($"--out {dir} is not empty; give a new or empty directory");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
