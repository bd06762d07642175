using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Diagnostics;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Commands;

/// <summary>`actortrainer diagnose`: gradient-vs-lag diagnostics of a checkpoint or of a fresh model, on real text.</summary>
internal static class DiagnoseCommand
{
    public const string Help = """
        usage: actortrainer diagnose (--checkpoint FILE|DIR | fresh-model options) [options]

        Measures, for lags k = 0..K on windows of real text: ||dh_t/dh_(t-k)||_2 (the product of k Jacobians),
        the spectral radius of W_hh, ||dL_t/dh_(t-k)||, and each lag's share of the full-BPTT gradient of W_hh.
        Prints the table and writes diagnose.csv, diagnose.md and diagnose.png (log-scale y) to --out.

        model (one of):
          --checkpoint PATH        a model .safetensors file, or a directory: a train run's (model.safetensors) or
                                   any other (its newest model .safetensors)
          --activation PHI         tanh | identity | relu (checkpoint: overrides the stored setting)
          fresh model: --hidden H (64)  --activation PHI (tanh)  --seed N (1)  and
            --spectral-radius R    rescale the seeded random W_hh to spectral radius R ≥ 0 (default 1)
            --whh-identity A       or set W_hh = A*I exactly
        data:
          --corpus FILE            UTF-8 text (default: the corpus a train run's checkpoint names if it exists,
                                   else the built-in corpus)
          --max-lag K              largest lag (40)
          --windows N              text windows averaged over (8)
          --length T               characters per window, ≥ K+1 (3K)
          --anchor-stride S        Jacobians at every S-th position of a window (10)
        output:
          --out DIR                output directory (diagnose-out)
        """;

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Contains("--help") || args.Contains("-h")) { stdout.WriteLine(Help); return Task.FromResult(0); }
        var a = new ArgList(args);

        string? checkpoint = a.String("checkpoint");
        Activation? phi = a.Has("activation") ? a.Enum("activation", Activation.Tanh) : null;
        int K = a.Int("max-lag", 40, min: 1, max: 10_000);
        var options = new DiagnosisOptions(K, a.Int("windows", 8, min: 1, max: 100_000),
            a.Int("length", Math.Max(3 * K, K + 1), min: K + 1, max: 10_000_000), a.Int("anchor-stride", 10, min: 1));
        string? corpusPath = a.String("corpus");
        string outDir = a.String("out", "diagnose-out")!;

        CharCorpus corpus;
        DiagnosedModel model;
        if (checkpoint is not null)
        {
            foreach (string fresh in new[] { "hidden", "seed", "spectral-radius", "whh-identity" })
                if (a.Has(fresh))
                    throw new UsageException($"--{fresh} describes a fresh model; it cannot be combined with --checkpoint");
            var (file, data) = ModelSource.ReadCheckpoint(checkpoint);
            corpusPath ??= ModelSource.StoredCorpus(data);   // a train run's checkpoint names its corpus
            corpus = LoadCorpus(corpusPath);
            model = ModelSource.FromCheckpoint(file, data, phi, corpus.Vocabulary);
        }
        else
        {
            corpus = LoadCorpus(corpusPath);
            int hidden = a.Int("hidden", 64, min: 1, max: 4096);
            int seed = a.Int("seed", 1);
            double? radius = a.OptionalDouble("spectral-radius", min: 0);
            double? identity = a.OptionalDouble("whh-identity");
            if (radius is not null && identity is not null)
                throw new UsageException("give either --spectral-radius or --whh-identity, not both");
            WhhInit whh = identity is { } id ? new WhhInit.ScaledIdentity(id) : new WhhInit.SpectralRadius(radius ?? 1.0);
            model = ModelSource.Fresh(corpus.Vocabulary, hidden, phi ?? Activation.Tanh, whh, seed);
        }
        a.RejectUnused("diagnose");

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
        return Task.FromResult(0);
    }

    private static CharCorpus LoadCorpus(string? path) => path is null ? DefaultCorpus.Load() : CharCorpus.FromFile(path);
}
