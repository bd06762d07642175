using System.CommandLine;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;
using ActorTrainer.Cli.Scaling;

namespace ActorTrainer.Cli.Commands;

/// <summary>`actortrainer scale [options]`: a scaling sweep over worker counts, modes, k and shards.</summary>
internal static class ScaleCommand
{
    /// <summary>Train options the cluster launcher sets per configuration or passes separately, not as given.</summary>
    private static readonly string[] NotPassedToNodes = ["chunk", "progress", "config"];

    /// <summary>Train options that mean nothing for a sweep (it sets them per configuration or never uses them).</summary>
    private static readonly string[] TrainOnly =
        ["mode", "staleness", "updates", "init", "resume", "eval-every", "checkpoint-every", "sample", "temperature"];

    /// <summary>Train keys the sweep uses as its own options (lists, or its output directory).</summary>
    private static readonly string[] SweepKeys = ["workers", "shards", "out"];

    /// <summary>The sweep's option table (section actortrainer.scale) beside train's model and data options.</summary>
    private sealed class SweepOptions
    {
        private readonly OptionTable _t = new("actortrainer.scale");

        public SweepOptions()
        {
            Workers = _t.Add("workers", "worker counts", (v, src) => ServerBench.ParseList(v, "workers"), "N,N,…");
            Modes = _t.Add("modes", "consistency modes: sync | async | ssp | ssp:S", (v, _) => v, "M,M,…");
            Chunks = _t.Add("chunks", "chunk lengths k (empty: the model's --chunk)", (v, _) => v.Trim().Length == 0 ? [] : ServerBench.ParseList(v, "chunks"), "K,K,…");
            Shards = _t.Add("shards", "parameter-server shards, W split by key range (--launcher cluster: 1)", (v, _) => ServerBench.ParseList(v, "shards"), "N,N,…");
            Budget = _t.Add("budget", "training tokens per configuration; the cap with --until target", (v, _) => Number(v, "budget", long.Parse), "TOKENS");
            Target = _t.Add("target", "target validation loss (nats/char) for time-to-target (empty: the highest final loss of the sweep)", (v, _) => v.Trim().Length == 0 ? (double?)null : Number(v, "target", double.Parse), "LOSS");
            Until = _t.Add("until", "stop each configuration at the budget or at the target loss", (v, src) => Values.Enum<StopRule>(v, src), completions: ["budget", "target"]);
            Points = _t.Add("points", "weight snapshots per configuration for the loss curve", (v, _) => Number(v, "points", int.Parse), "N");
            ValTokens = _t.Add("val-tokens", "held-out characters per validation", (v, _) => Number(v, "val-tokens", int.Parse), "N");
            CapacitySeconds = _t.Add("capacity-seconds", "time measuring server capacity after the sweep; 0 = skip", (v, _) => Number(v, "capacity-seconds", double.Parse), "S");
            Out = _t.Add("out", "output directory, new or empty (empty: runs/scale-<timestamp>)", Values.Text, "DIR");
            Launcher = _t.Add("launcher",
                "inproc: every configuration in this process, one actor system. cluster: every configuration as node processes on " +
                "127.0.0.1 (1 ps + n worker nodes, like deploy/local-cluster.sh), figures from the ps node's run directory " +
                "(DIR/runs/<config>/, logs in DIR/runs/<config>-logs/); cluster takes --shards 1 and --until budget only. " +
                "sim: every configuration on virtual time in this process, the real worker and server state classes with a cost model " +
                "for the clock (docs/simulation.md); n may exceed the cores",
                ParseLauncher, completions: ["inproc", "cluster", "sim"]);
            Sim = Scaling.Simulation.SimOptions.Table.Select(o => _t.Add(o.Name, o.Help, (v, _) => v, o.Value)).ToArray();
            StallTimeout = _t.Add("stall-timeout", "cluster: seconds a configuration may show no sign of progress before its nodes are killed and the sweep fails with their logs", (v, _) => Number(v, "stall-timeout", double.Parse), "S");
        }

        public CliOption<int[]> Workers { get; }
        public CliOption<string> Modes { get; }
        public CliOption<int[]> Chunks { get; }
        public CliOption<int[]> Shards { get; }
        public CliOption<long> Budget { get; }
        public CliOption<double?> Target { get; }
        public CliOption<StopRule> Until { get; }
        public CliOption<int> Points { get; }
        public CliOption<int> ValTokens { get; }
        public CliOption<double> CapacitySeconds { get; }
        public CliOption<string?> Out { get; }
        public CliOption<Launcher> Launcher { get; }
        public CliOption<double> StallTimeout { get; }
        public CliOption<string>[] Sim { get; }

        /// <summary>The --sim-* options as given or defaulted; null where empty.</summary>
        public Scaling.Simulation.SimOptions ReadSim(ParseResult r)
        {
            var values = Scaling.Simulation.SimOptions.Table.Zip(Sim, (t, o) => (t.Name, Value: o.Read(r)))
                .ToDictionary(x => x.Name, x => x.Value.Trim().Length == 0 ? null : x.Value);
            return Scaling.Simulation.SimOptions.Parse(name => values[name]);
        }

        public IReadOnlyList<Option> Options => _t.Options;
    }

    private static Launcher ParseLauncher(string v, string src) => v.Trim().ToLowerInvariant() switch
    {
        "inproc" => Scaling.Launcher.InProcess,
        "cluster" => Scaling.Launcher.Cluster,
        "sim" => Scaling.Launcher.Sim,
        _ => throw new UsageException($"--launcher: unknown value '{v}' (expected inproc, cluster or sim)"),
    };

    public static Command Create(CliContext context)
    {
        var command = new Command("scale",
            "Scaling sweep: workers × modes × chunk lengths × server shards, in this process or as node processes; " +
            "throughput, speedup, time to a target loss, staleness, server capacity. Model and data options are train's.");
        var sweep = new SweepOptions();
        var train = TrainSettingsLoader.CreateOptions(except: [.. TrainOnly, .. SweepKeys]);
        // Train options a sweep sets itself: hidden, so that giving one is an error that says why.
        var trainOnly = TrainOnly.Select(k => OptionTable.Make(k, "", "", hidden: true)).ToList();
        foreach (var o in sweep.Options.Concat(train).Concat(trainOnly)) command.Options.Add(o);
        command.SetAction((r, _) =>
        {
            if (trainOnly.FirstOrDefault(o => r.GetResult(o) is { Implicit: false }) is { } given)
                throw new UsageException($"{given.Name} is a train option; scale sets it per configuration (see --modes, --budget) or does not use it");
            return RunAsync(Parse(r, sweep, TrainSettingsLoader.Given(r, train)), context);
        });
        return command;
    }

    private static async Task<int> RunAsync(ScaleSettings settings, CliContext context)
    {
        var (stdout, stderr) = (context.Out, context.Err);
        string dir = PrepareOutput(settings.Out);
        settings = settings with { Out = dir }; // the cluster launcher puts the ps nodes' run directories under it
        var progress = new SweepProgress(stderr, settings.Train.Progress);
        var target = new CorpusScaleTarget(settings.Train, settings.ValidationTokens);
        progress.Note($"{MachineInfo.Describe()}");
        progress.Note($"model: {target.Description}");
        progress.Note($"{settings.Configurations().Count} configurations ({settings.Launcher switch { Launcher.Cluster => "cluster: node processes on 127.0.0.1", Launcher.Sim => "simulated on virtual time", _ => "in-process" }}); output in {dir}");

        SweepResult result;
        try
        {
            if (settings.Sim.CompareInProcess)
                return await Scaling.Simulation.SimValidation.RunAsync(target, settings, progress, stdout, context.Stop);
            result = await new ScaleSweep(target, settings, progress).RunAsync(context.Stop);
        }
        catch (Exception e) when (e is ClusterRunException or InvalidDataException or Scaling.Simulation.ProbeFailedException) // a node failed, left unreadable results, or a cost could not be measured
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }

        ScaleReport.Write(result, dir);
        stdout.WriteLine(File.ReadAllText(Path.Combine(dir, ScaleReport.Summary)).Split("\n## How to read this")[0].TrimEnd());
        stdout.WriteLine();
        stdout.WriteLine($"wrote {ScaleReport.ResultsCsv}, {ScaleReport.CurvesCsv}, {ScaleReport.Summary} and plots to {dir}");
        if (!context.Stop.IsCancellationRequested) return ExitCodes.Ok;
        stdout.WriteLine($"stopped early: {result.Configs.Count} of {settings.Configurations().Count} configurations ran");
        return ExitCodes.Interrupted;
    }

    /// <summary>Sweep options from the command line, model options through the train settings layers.</summary>
    private static ScaleSettings Parse(ParseResult r, SweepOptions o, Dictionary<string, string> trainFlags)
    {
        var train = TrainSettingsLoader.Load(trainFlags);
        var launcher = o.Launcher.Read(r);
        var s = new ScaleSettings
        {
            Train = train,
            NodeArgs = trainFlags.Where(f => !NotPassedToNodes.Contains(f.Key)).Select(f => $"--{f.Key}={f.Value}").ToArray(),
            ConfigFiles = trainFlags.GetValueOrDefault("config"),
            Launcher = launcher,
            Workers = o.Workers.Read(r),
            Chunks = o.Chunks.Read(r),
            // A ps node runs one unsharded server: the cluster sweep's default is shards 1 (an explicit list is checked).
            Shards = launcher == Launcher.Cluster && !o.Shards.IsGiven(r) ? [1] : o.Shards.Read(r),
            TokenBudget = o.Budget.Read(r),
            TargetLoss = o.Target.Read(r),
            Stop = o.Until.Read(r),
            Points = o.Points.Read(r),
            ValidationTokens = o.ValTokens.Read(r),
            CapacitySeconds = o.CapacitySeconds.Read(r),
            StallSeconds = o.StallTimeout.Read(r),
            Out = o.Out.Read(r),
            Sim = o.ReadSim(r),
        };
        try
        {
            s = s with { Modes = o.Modes.Read(r).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(x => ModeSpec.Parse(x, train.Staleness)).ToArray() };
        }
        catch (ArgumentException e) { throw new UsageException($"--modes: {e.Message.Split(" (Parameter")[0]}"); }
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

    /// <summary>The output directory: given (must be new or empty: CSVs are never appended across sweeps) or runs/scale-&lt;timestamp&gt;.</summary>
    private static string PrepareOutput(string? requested)
    {
        string dir = Path.GetFullPath(requested ?? OutputDirectory.Default("scale"));
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new UsageException($"--out {dir} is not empty; give a new or empty directory");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
