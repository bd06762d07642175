using System.CommandLine;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Diagnostics;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Commands;

/// <summary>`actortrainer diagnose`: gradient-vs-lag diagnostics of a checkpoint or of a fresh model, on real text.</summary>
internal static class DiagnoseCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("diagnose",
            "Gradient vs lag (Jacobian norms, spectral radius of W_hh, dW_hh by lag) of a checkpoint or a fresh model; table, CSV and PNG.");
        var t = new OptionTable("actortrainer.diagnose");
        var checkpoint = t.Add("checkpoint", "a model .safetensors file, or a directory: a train run's (model.safetensors) or any other (its newest model .safetensors)", Values.Text, "FILE|DIR");
        var activation = t.Add("activation", "phi (with --checkpoint: overrides the stored setting; fresh model: tanh when empty)",
            (v, src) => Values.Text(v, src) is null ? (Activation?)null : Values.Enum<Activation>(v, src), completions: ["tanh", "identity", "relu"]);
        var hidden = t.Add("hidden", "fresh model: hidden units H", Values.Int(1, 4096), "H");
        var seed = t.Add("seed", "fresh model: seed", Values.Int(), "N");
        var radius = t.Add("spectral-radius", "fresh model: rescale the seeded random W_hh to spectral radius R ≥ 0 (empty: 1)", Values.OptionalDouble(min: 0), "R");
        var identity = t.Add("whh-identity", "fresh model: set W_hh = A*I exactly", Values.OptionalDouble(), "A");
        var corpusOption = t.Add("corpus", "UTF-8 text (empty: the corpus a train run's checkpoint names if it exists, else the built-in corpus)", Values.Text, "FILE");
        var maxLag = t.Add("max-lag", "largest lag K", Values.Int(1, 10_000), "K");
        var windows = t.Add("windows", "text windows averaged over", Values.Int(1, 100_000), "N");
        var length = t.Add("length", "characters per window, ≥ K+1 (empty: 3K)", (v, src) => Values.Text(v, src) is null ? (int?)null : Values.Int(1, 10_000_000)(v, src), "T");
        var anchorStride = t.Add("anchor-stride", "Jacobians at every S-th position of a window", Values.Int(1), "S");
        var outOption = t.Add("out", "output directory (empty: runs/diagnose-<timestamp>)", Values.Text, "DIR");
        t.AddTo(command);
        command.SetAction(r =>
        {
            int K = maxLag.Read(r);
            int windowLength = length.Read(r) ?? Math.Max(3 * K, K + 1);
            if (windowLength < K + 1) throw new UsageException($"--length: {windowLength} is out of range (must be ≥ {K + 1}, K+1)");
            var options = new DiagnosisOptions(K, windows.Read(r), windowLength, anchorStride.Read(r));
            var fresh = new FreshModel(hidden.Read(r), seed.Read(r), radius.Read(r), identity.Read(r));
            string[] given = [.. new Option[] { hidden.Option, seed.Option, radius.Option, identity.Option }
                .Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name)];
            return Run(checkpoint.Read(r), activation.Read(r), fresh, given, corpusOption.Read(r), options,
                outOption.Read(r) ?? OutputDirectory.Default("diagnose"), context.Out);
        });
        return command;
    }

    /// <summary>A fresh model's options: H, seed, and how W_hh is set.</summary>
    private sealed record FreshModel(int Hidden, int Seed, double? Radius, double? Identity);

    private static int Run(string? checkpoint, Activation? phi, FreshModel fresh, IReadOnlyList<string> freshGiven, string? corpusPath,
        DiagnosisOptions options, string outDir, TextWriter stdout)
    {
        CharCorpus corpus;
        DiagnosedModel model;
        if (checkpoint is not null)
        {
            if (freshGiven.Count > 0)
                throw new UsageException($"{freshGiven[0]} describes a fresh model; it cannot be combined with --checkpoint");
            var (file, data) = ModelSource.ReadCheckpoint(checkpoint);
            corpusPath ??= ModelSource.StoredCorpus(data);   // a train run's checkpoint names its corpus
            corpus = LoadCorpus(corpusPath);
            model = ModelSource.FromCheckpoint(file, data, phi, corpus.Vocabulary);
        }
        else
        {
            corpus = LoadCorpus(corpusPath);
            if (fresh.Radius is not null && fresh.Identity is not null)
                throw new UsageException("give either --spectral-radius or --whh-identity, not both");
            WhhInit whh = fresh.Identity is { } id ? new WhhInit.ScaledIdentity(id) : new WhhInit.SpectralRadius(fresh.Radius ?? 1.0);
            model = ModelSource.Fresh(corpus.Vocabulary, fresh.Hidden, phi ?? Activation.Tanh, whh, fresh.Seed);
        }

        var report = Diagnosis.Run(model, corpus.Text, corpus.Source, options);
        Directory.CreateDirectory(outDir);
        var table = report.ToTable();
        table.Save(outDir, "diagnose", "gradient vs lag", report.Summary());
        report.ToPlot().SavePng(Path.Combine(outDir, "diagnose.png"));

        stdout.Write(report.Summary());
        stdout.WriteLine();
        stdout.Write(table.ToMarkdown());
        stdout.WriteLine();
        stdout.WriteLine($"wrote {Path.Combine(outDir, "diagnose.csv")}, diagnose.md, diagnose.png");
        return ExitCodes.Ok;
    }

    private static CharCorpus LoadCorpus(string? path) => path is null ? DefaultCorpus.Load() : CharCorpus.FromFile(path);
}
