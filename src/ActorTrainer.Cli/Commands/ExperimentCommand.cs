using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Diagnostics;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Commands;

/// <summary>`actortrainer experiment vanishing|truncation|clipping`: the lecture's three phenomena, each a table and a plot.</summary>
internal static class ExperimentCommand
{
    public const string Help = """
        usage: actortrainer experiment vanishing|truncation|clipping [options]

        Each experiment writes NAME.csv, NAME.md and NAME.png (clipping also clipping_curves.csv) to --out (experiment-out)
        and prints the table.

        vanishing    ||dh_t/dh_(t-k)|| vs lag for identity and tanh, W_hh at several spectral radii (fresh models, real text)
          --activations LIST (identity,tanh)  --radii LIST (0.5,0.9,1.0,1.1,1.5)  --hidden H (64)  --max-lag K (30)
          --windows N (4)  --anchor-stride S (10)  --seed N (1)  --corpus FILE (built-in corpus)
        truncation   recall accuracy vs truncation depth on the delayed-recall task (delay L)
          --delay L (8)  --ks LIST (2,4,6,8,9,10,12,16,24)  --alphabet A (4)  --hidden H (64)  --batch B (16)
          --episode-length E (48)  --episodes N (4000)  --chunk T (12, for k-step(L+4) and full)  --lr X (0.003, Adam)
          --clip C (5)  --eval-episodes N (4)  --seed N (1)
        clipping     an exploding tanh RNN trained with and without global-norm clipping on a corpus
          --spectral-radius R (3)  --lr X (2.0)  --optimizer NAME (sgd)  --clip LIST (1,0.25: one clipped run per c)
          --steps N (500)  --hidden H (64)
          --batch B (16)  --chunk T (25)  --seed N (1)  --corpus FILE (built-in corpus)
        """;

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h") { stdout.WriteLine(Help); return Task.FromResult(args.Length == 0 ? 2 : 0); }
        if (args.Contains("--help") || args.Contains("-h")) { stdout.WriteLine(Help); return Task.FromResult(0); }
        string name = args[0];
        var a = new ArgList(args[1..]);
        string outDir = a.String("out", "experiment-out")!;
        ExperimentResult result = name switch
        {
            "vanishing" => Vanishing(a, stderr),
            "truncation" => Truncation(a, stderr),
            "clipping" => Clipping(a, stderr),
            _ => throw new UsageException($"unknown experiment '{name}'; choose vanishing, truncation or clipping"),
        };
        var files = result.Save(outDir);
        stdout.WriteLine(result.Notes);
        stdout.WriteLine();
        stdout.Write(result.Table.ToMarkdown());
        stdout.WriteLine();
        stdout.WriteLine($"wrote {string.Join(", ", files)}");
        return Task.FromResult(0);
    }

    private static ExperimentResult Vanishing(ArgList a, TextWriter progress)
    {
        var o = new VanishingOptions(
            a.EnumList("activations", [Activation.Identity, Activation.Tanh]),
            a.DoubleList("radii", [0.5, 0.9, 1.0, 1.1, 1.5], min: 0),
            a.Int("hidden", 64, min: 1, max: 1024), a.Int("max-lag", 30, min: 1, max: 1000), a.Int("windows", 4, min: 1, max: 1000),
            a.Int("anchor-stride", 10, min: 1), a.Int("seed", 1));
        var corpus = Corpus(a);
        a.RejectUnused("experiment vanishing");
        return VanishingExperiment.Run(corpus, o, progress);
    }

    private static ExperimentResult Truncation(ArgList a, TextWriter progress)
    {
        int episodeLength = a.Int("episode-length", 48, min: 2, max: 100_000);
        var o = new TruncationOptions(
            a.IntList("ks", [2, 4, 6, 8, 9, 10, 12, 16, 24], min: 1, max: episodeLength), a.Int("delay", 8, min: 1, max: episodeLength - 1),
            a.Int("alphabet", 4, min: 2, max: 1000), a.Int("hidden", 64, min: 1, max: 1024), a.Int("batch", 16, min: 1, max: 10_000),
            episodeLength, a.Int("episodes", 4000, min: 1), a.Int("chunk", 12, min: 1, max: episodeLength),
            a.Double("lr", 0.003, min: 0), a.Double("clip", 5, min: double.Epsilon), a.Int("eval-episodes", 4, min: 1), a.Int("seed", 1));
        a.RejectUnused("experiment truncation");
        return TruncationExperiment.Run(o, progress);
    }

    private static ExperimentResult Clipping(ArgList a, TextWriter progress)
    {
        string optimizer = a.String("optimizer", "sgd")!;
        if (!Optimizers.Names.Contains(optimizer))
            throw new UsageException($"--optimizer: unknown optimizer '{optimizer}'; choose one of {string.Join(", ", Optimizers.Names)}");
        var o = new ClippingOptions(
            a.DoubleList("clip", [1.0, 0.25], min: double.Epsilon), a.Int("hidden", 64, min: 1, max: 1024), a.Double("spectral-radius", 3, min: 0),
            a.Double("lr", 2.0, min: 0), a.Int("steps", 500, min: 1, max: 10_000_000), a.Int("batch", 16, min: 1, max: 10_000),
            a.Int("chunk", 25, min: 1, max: 100_000), optimizer, a.Int("seed", 1));
        var corpus = Corpus(a);
        a.RejectUnused("experiment clipping");
        return ClippingExperiment.Run(corpus, o, progress);
    }

    private static CharCorpus Corpus(ArgList a) => a.String("corpus") is { } path ? CharCorpus.FromFile(path) : DefaultCorpus.Load();
}
