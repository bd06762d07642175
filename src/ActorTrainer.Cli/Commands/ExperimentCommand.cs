using System.Diagnostics;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Experiments;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Commands;

/// <summary>
/// `actortrainer experiment vanishing|truncation|clipping`: the three reproducible experiments of the lecture, each
/// writing &lt;name&gt;.csv, &lt;name&gt;.md and &lt;name&gt;.png (and for clipping, the per-update log) to --out.
/// </summary>
internal static class ExperimentCommand
{
    public const string Help = """
        usage: actortrainer experiment <vanishing|truncation|clipping> [options]

        Each experiment is seeded and writes <name>.csv, <name>.md (tables) and <name>.png to --out (default experiments-out);
        clipping also writes clipping-log.csv/.md (every update), clipping-gradnorm.png and the clipped run's model,
        clipping-model.safetensors (try: actortrainer diagnose --checkpoint DIR/clipping-model.safetensors).
        common: --seed N (1)  --out DIR

        vanishing   gradient norm ||dL_t/dh_(t-k)|| vs lag k for identity and tanh, W_hh at several spectral radii
          --activations LIST (identity,tanh)  --radii LIST (0.5,0.9,1.0,1.1,1.5)  --hidden H (32)
          --max-lag K (60)  --windows N (32)  --warmup W (40 steps before the measured K)  --corpus FILE (built-in)
        truncation  delayed recall with known delay L, trained with subsequence and k-step truncation at each k, and untruncated
          --delay L (8)  --alphabet A (4)  --ks LIST (2,4,6,7,8,9,10,12,16,24)  --hidden H (32)  --batch B (16)
          --chunk T (8, k-step and full runs)  --episode S (64, full runs)  --updates U (6000)
          --optimizer NAME (adam)  --lr X (0.003)  --clip C (1)  --eval-steps N (500)
        clipping    an exploding tanh model trained without and with global-norm clipping: loss curves, fraction clipped
          --radius R (2)  --hidden H (64)  --batch B (16)  --k K (25)  --updates U (600)
          --optimizer NAME (sgd)  --lr X (1)  --clip C (1)  --corpus FILE (built-in)
        """;

    private static readonly string[] Names = ["vanishing", "truncation", "clipping"];

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0) throw new UsageException($"experiment needs a name: one of {string.Join(", ", Names)} (see 'actortrainer experiment --help')");
        if (args[0] is "--help" or "-h" || args.Contains("--help")) { stdout.WriteLine(Help); return Task.FromResult(0); }
        string name = args[0];
        var a = new ArgList(args[1..]);
        int seed = a.Int("seed", 1);
        string outDir = a.String("out", "experiments-out")!;
        Action<string> progress = line => stdout.WriteLine("  " + line);
        var clock = Stopwatch.StartNew();

        switch (name)
        {
            case "vanishing":
            {
                var d = new VanishingSettings();
                var s = new VanishingSettings
                {
                    Activations = a.EnumList("activations", d.Activations),
                    Radii = a.DoubleList("radii", d.Radii, min: double.Epsilon),
                    Hidden = a.Int("hidden", d.Hidden, min: 1, max: 4096),
                    MaxLag = a.Int("max-lag", d.MaxLag, min: 1, max: 100_000),
                    Windows = a.Int("windows", d.Windows, min: 1, max: 100_000),
                    Warmup = a.Int("warmup", d.Warmup, min: 0, max: 1_000_000),
                    Seed = seed,
                };
                var corpus = LoadCorpus(a);
                a.RejectUnused("experiment vanishing");
                stdout.WriteLine($"experiment vanishing: {s.Activations.Length * s.Radii.Length} configurations");
                var curves = VanishingExperiment.Run(s, corpus.Text, progress);
                Directory.CreateDirectory(outDir);
                var summary = VanishingExperiment.ToSummary(curves);
                VanishingExperiment.ToTable(curves).Save(outDir, "vanishing", "vanishing vs exploding: gradient norm vs lag",
                    VanishingExperiment.Notes(s, corpus.Source) + "\n\n" + summary.ToMarkdown());
                VanishingExperiment.ToPlot(curves, s).SavePng(Path.Combine(outDir, "vanishing.png"));
                Finish(stdout, summary, outDir, "vanishing", clock);
                break;
            }
            case "truncation":
            {
                var d = new TruncationSettings();
                var s = new TruncationSettings
                {
                    Delay = a.Int("delay", d.Delay, min: 1, max: 10_000),
                    Alphabet = a.Int("alphabet", d.Alphabet, min: 2, max: 10_000),
                    Ks = a.IntList("ks", d.Ks, min: 1, max: 100_000),
                    Hidden = a.Int("hidden", d.Hidden, min: 1, max: 4096),
                    Batch = a.Int("batch", d.Batch, min: 1, max: 100_000),
                    Chunk = a.Int("chunk", d.Chunk, min: 1, max: 100_000),
                    Episode = a.Int("episode", d.Episode, min: 1, max: 1_000_000),
                    Updates = a.Int("updates", d.Updates, min: 1),
                    Optimizer = OptimizerName(a, d.Optimizer),
                    LearningRate = (float)a.Double("lr", d.LearningRate, min: 0),
                    ClipNorm = (float)a.Double("clip", d.ClipNorm, min: double.Epsilon),
                    EvalSteps = a.Int("eval-steps", d.EvalSteps, min: 2),
                    Seed = seed,
                };
                a.RejectUnused("experiment truncation");
                if (s.Episode % s.Chunk != 0) throw new UsageException($"--episode {s.Episode} must be a multiple of --chunk {s.Chunk}");
                if (s.EvalSteps <= s.Delay) throw new UsageException($"--eval-steps {s.EvalSteps} must exceed --delay {s.Delay}");
                stdout.WriteLine($"experiment truncation: {2 * s.Ks.Length + 1} runs of {s.Updates} updates");
                var runs = TruncationExperiment.Run(s, progress);
                Directory.CreateDirectory(outDir);
                var table = TruncationExperiment.ToTable(runs, s);
                table.Save(outDir, "truncation", "truncation depth vs dependency length", TruncationExperiment.Notes(s));
                TruncationExperiment.ToPlot(runs, s).SavePng(Path.Combine(outDir, "truncation.png"));
                Finish(stdout, table, outDir, "truncation", clock);
                break;
            }
            case "clipping":
            {
                var d = new ClippingSettings();
                var s = new ClippingSettings
                {
                    Radius = a.Double("radius", d.Radius, min: 0),
                    Hidden = a.Int("hidden", d.Hidden, min: 1, max: 4096),
                    Batch = a.Int("batch", d.Batch, min: 1, max: 100_000),
                    K = a.Int("k", d.K, min: 1, max: 100_000),
                    Updates = a.Int("updates", d.Updates, min: 1),
                    Optimizer = OptimizerName(a, d.Optimizer),
                    LearningRate = (float)a.Double("lr", d.LearningRate, min: 0),
                    ClipNorm = (float)a.Double("clip", d.ClipNorm, min: double.Epsilon),
                    Seed = seed,
                };
                var corpus = LoadCorpus(a);
                a.RejectUnused("experiment clipping");
                stdout.WriteLine($"experiment clipping: 2 runs of {s.Updates} updates");
                var runs = ClippingExperiment.Run(s, corpus, progress);
                Directory.CreateDirectory(outDir);
                var summary = ClippingExperiment.ToSummary(runs);
                summary.Save(outDir, "clipping", "clipping an exploding gradient", ClippingExperiment.Notes(s, corpus.Source));
                ClippingExperiment.ToLog(runs).Save(outDir, "clipping-log");
                ClippingExperiment.ToPlot(runs, s).SavePng(Path.Combine(outDir, "clipping.png"));
                ClippingExperiment.ToNormPlot(runs, s).SavePng(Path.Combine(outDir, "clipping-gradnorm.png"));
                ClippingExperiment.SaveModel(runs[1], corpus.Vocabulary, Path.Combine(outDir, "clipping-model.safetensors"));
                Finish(stdout, summary, outDir, "clipping", clock);
                break;
            }
            default:
                throw new UsageException($"unknown experiment '{name}' (expected one of: {string.Join(", ", Names)})");
        }
        return Task.FromResult(0);
    }

    private static CharCorpus LoadCorpus(ArgList a) =>
        a.String("corpus") is { } path ? CharCorpus.FromFile(path) : DefaultCorpus.Load();

    private static string OptimizerName(ArgList a, string @default)
    {
        string v = (a.String("optimizer", @default) ?? @default).Trim().ToLowerInvariant();
        return Optimizers.Names.Contains(v) ? v
            : throw new UsageException($"--optimizer: unknown value '{v}' (expected one of: {string.Join(", ", Optimizers.Names)})");
    }

    private static void Finish(TextWriter stdout, Diagnostics.ReportTable table, string outDir, string name, Stopwatch clock)
    {
        stdout.WriteLine();
        stdout.Write(table.ToMarkdown());
        stdout.WriteLine();
        stdout.WriteLine($"wrote {Path.Combine(outDir, name)}.csv, {name}.md, {name}.png in {clock.Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} s");
    }
}
