using System.CommandLine;
using System.Diagnostics;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Experiments;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Commands;

/// <summary>
/// `actortrainer experiment vanishing|truncation|clipping`: the three reproducible experiments of the lecture, each
/// writing &lt;name&gt;.csv, &lt;name&gt;.md and &lt;name&gt;.png (and for clipping, the per-update log) to --out
/// (default runs/&lt;name&gt;-&lt;timestamp&gt;).
/// </summary>
internal static class ExperimentCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("experiment",
            "Reproducible experiments: vanishing | truncation | clipping (table, CSV and PNG each).");
        command.Subcommands.Add(Vanishing(context));
        command.Subcommands.Add(Truncation(context));
        command.Subcommands.Add(Clipping(context));
        return command;
    }

    /// <summary>The options every experiment has: --seed and --out.</summary>
    private static (CliOption<int> Seed, CliOption<string?> Out) Common(OptionTable t, string name) =>
        (t.Add("seed", "seed of every random draw", Values.Int(), "N"),
         t.Add("out", $"output directory (empty: runs/{name}-<timestamp>)", Values.Text, "DIR"));

    private static CliOption<string> OptimizerOption(OptionTable t) =>
        t.Add("optimizer", "update rule", Values.OneOf([.. Optimizers.Names]), completions: [.. Optimizers.Names]);

    private static CliOption<string?> CorpusOption(OptionTable t) =>
        t.Add("corpus", "UTF-8 text (empty: the built-in corpus)", Values.Text, "FILE");

    private static Command Vanishing(CliContext context)
    {
        var command = new Command("vanishing", "Gradient norm ||dL_t/dh_(t-k)|| vs lag k for identity and tanh, W_hh at several spectral radii.");
        var t = new OptionTable("actortrainer.experiment.vanishing");
        var (seed, outOption) = Common(t, "vanishing");
        var activations = t.Add("activations", "activations, comma-separated", Values.EnumList<Activation>, "LIST");
        var radii = t.Add("radii", "spectral radii of W_hh, comma-separated", Values.DoubleList(min: double.Epsilon), "LIST");
        var hidden = t.Add("hidden", "hidden units H", Values.Int(1, 4096), "H");
        var maxLag = t.Add("max-lag", "largest lag K", Values.Int(1, 100_000), "K");
        var windows = t.Add("windows", "text windows averaged over", Values.Int(1, 100_000), "N");
        var warmup = t.Add("warmup", "steps before the measured K", Values.Int(0, 1_000_000), "W");
        var corpusOption = CorpusOption(t);
        t.AddTo(command);
        command.SetAction(r =>
        {
            var s = new VanishingSettings
            {
                Activations = activations.Read(r), Radii = radii.Read(r), Hidden = hidden.Read(r), MaxLag = maxLag.Read(r),
                Windows = windows.Read(r), Warmup = warmup.Read(r), Seed = seed.Read(r),
            };
            var corpus = LoadCorpus(corpusOption.Read(r));
            string outDir = outOption.Read(r) ?? OutputDirectory.Default("vanishing");
            var (stdout, clock) = (context.Out, Stopwatch.StartNew());
            stdout.WriteLine($"experiment vanishing: {s.Activations.Length * s.Radii.Length} configurations");
            var curves = VanishingExperiment.Run(s, corpus.Text, Progress(stdout));
            Directory.CreateDirectory(outDir);
            var summary = VanishingExperiment.ToSummary(curves);
            VanishingExperiment.ToTable(curves).Save(outDir, "vanishing", "vanishing vs exploding: gradient norm vs lag",
                VanishingExperiment.Notes(s, corpus.Source) + "\n\n" + summary.ToMarkdown());
            VanishingExperiment.ToPlot(curves, s).SavePng(Path.Combine(outDir, "vanishing.png"));
            Finish(stdout, summary, outDir, "vanishing", clock);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Truncation(CliContext context)
    {
        var command = new Command("truncation",
            "Delayed recall with known delay L, trained with subsequence and k-step truncation at each k, and untruncated.");
        var t = new OptionTable("actortrainer.experiment.truncation");
        var (seed, outOption) = Common(t, "truncation");
        var delay = t.Add("delay", "the delay L of the recall task", Values.Int(1, 10_000), "L");
        var alphabet = t.Add("alphabet", "symbols to recall", Values.Int(2, 10_000), "A");
        var ks = t.Add("ks", "truncation depths k, comma-separated", Values.IntList(1, 100_000), "LIST");
        var hidden = t.Add("hidden", "hidden units H", Values.Int(1, 4096), "H");
        var batch = t.Add("batch", "streams B", Values.Int(1, 100_000), "B");
        var chunk = t.Add("chunk", "chunk length T of the k-step and full runs", Values.Int(1, 100_000), "T");
        var episode = t.Add("episode", "episode length S of the full runs, a multiple of --chunk", Values.Int(1, 1_000_000), "S");
        var updates = t.Add("updates", "updates per run", Values.Int(1), "U");
        var optimizer = OptimizerOption(t);
        var lr = t.Add("lr", "learning rate", Values.Double(min: 0), "X");
        var clip = t.Add("clip", "global-norm clipping threshold", Values.Double(min: double.Epsilon), "C");
        var evalSteps = t.Add("eval-steps", "steps of the evaluation stream, more than --delay", Values.Int(2), "N");
        t.AddTo(command);
        command.SetAction(r =>
        {
            var s = new TruncationSettings
            {
                Delay = delay.Read(r), Alphabet = alphabet.Read(r), Ks = ks.Read(r), Hidden = hidden.Read(r), Batch = batch.Read(r),
                Chunk = chunk.Read(r), Episode = episode.Read(r), Updates = updates.Read(r), Optimizer = optimizer.Read(r),
                LearningRate = (float)lr.Read(r), ClipNorm = (float)clip.Read(r), EvalSteps = evalSteps.Read(r), Seed = seed.Read(r),
            };
            if (s.Episode % s.Chunk != 0) throw new UsageException($"--episode {s.Episode} must be a multiple of --chunk {s.Chunk}");
            if (s.EvalSteps <= s.Delay) throw new UsageException($"--eval-steps {s.EvalSteps} must exceed --delay {s.Delay}");
            string outDir = outOption.Read(r) ?? OutputDirectory.Default("truncation");
            var (stdout, clock) = (context.Out, Stopwatch.StartNew());
            stdout.WriteLine($"experiment truncation: {2 * s.Ks.Length + 1} runs of {s.Updates} updates");
            var runs = TruncationExperiment.Run(s, Progress(stdout));
            Directory.CreateDirectory(outDir);
            var table = TruncationExperiment.ToTable(runs, s);
            table.Save(outDir, "truncation", "truncation depth vs dependency length", TruncationExperiment.Notes(s));
            TruncationExperiment.ToPlot(runs, s).SavePng(Path.Combine(outDir, "truncation.png"));
            Finish(stdout, table, outDir, "truncation", clock);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Clipping(CliContext context)
    {
        var command = new Command("clipping",
            "An exploding tanh model trained without and with global-norm clipping: loss curves, fraction clipped.");
        var t = new OptionTable("actortrainer.experiment.clipping");
        var (seed, outOption) = Common(t, "clipping");
        var radius = t.Add("radius", "spectral radius R of the model's W_hh", Values.Double(min: 0), "R");
        var hidden = t.Add("hidden", "hidden units H", Values.Int(1, 4096), "H");
        var batch = t.Add("batch", "streams B", Values.Int(1, 100_000), "B");
        var k = t.Add("k", "chunk length = truncation depth k", Values.Int(1, 100_000), "K");
        var updates = t.Add("updates", "updates per run", Values.Int(1), "U");
        var optimizer = OptimizerOption(t);
        var lr = t.Add("lr", "learning rate", Values.Double(min: 0), "X");
        var clip = t.Add("clip", "global-norm clipping threshold of the clipped run", Values.Double(min: double.Epsilon), "C");
        var corpusOption = CorpusOption(t);
        t.AddTo(command);
        command.SetAction(r =>
        {
            var s = new ClippingSettings
            {
                Radius = radius.Read(r), Hidden = hidden.Read(r), Batch = batch.Read(r), K = k.Read(r), Updates = updates.Read(r),
                Optimizer = optimizer.Read(r), LearningRate = (float)lr.Read(r), ClipNorm = (float)clip.Read(r), Seed = seed.Read(r),
            };
            var corpus = LoadCorpus(corpusOption.Read(r));
            string outDir = outOption.Read(r) ?? OutputDirectory.Default("clipping");
            var (stdout, clock) = (context.Out, Stopwatch.StartNew());
            stdout.WriteLine($"experiment clipping: 2 runs of {s.Updates} updates");
            var runs = ClippingExperiment.Run(s, corpus, Progress(stdout));
            Directory.CreateDirectory(outDir);
            var summary = ClippingExperiment.ToSummary(runs);
            summary.Save(outDir, "clipping", "clipping an exploding gradient", ClippingExperiment.Notes(s, corpus.Source));
            ClippingExperiment.ToLog(runs).Save(outDir, "clipping-log");
            ClippingExperiment.ToPlot(runs, s).SavePng(Path.Combine(outDir, "clipping.png"));
            ClippingExperiment.ToNormPlot(runs, s).SavePng(Path.Combine(outDir, "clipping-gradnorm.png"));
            ClippingExperiment.SaveModel(runs[1], corpus.Vocabulary, Path.Combine(outDir, "clipping-model.safetensors"));
            Finish(stdout, summary, outDir, "clipping", clock);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Action<string> Progress(TextWriter stdout) => line => stdout.WriteLine("  " + line);

    private static CharCorpus LoadCorpus(string? path) => path is null ? DefaultCorpus.Load() : CharCorpus.FromFile(path);

    private static void Finish(TextWriter stdout, Diagnostics.ReportTable table, string outDir, string name, Stopwatch clock)
    {
        stdout.WriteLine();
        stdout.Write(table.ToMarkdown());
        stdout.WriteLine();
        stdout.WriteLine($"wrote {Path.Combine(outDir, name)}.csv, {name}.md, {name}.png in {clock.Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} s");
    }
}
