using System.Globalization;
using static System.FormattableString;
using ActorTrainer.Cli.Diagnostics;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Cli.Reporting;
using ActorTrainer.Core.Reporting;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Cli.Experiments;

/// <summary>Settings of the truncation experiment (defaults: a few minutes on 2 cores at most).</summary>
internal sealed record TruncationSettings
{
    // Every value comes from the command line or its default in reference.conf (actortrainer.experiment.*).
    /// <summary>L, the dependency length: the target at step t is the input at step t − L.</summary>
    public required int Delay { get; init; }
    /// <summary>A, symbols to recall (chance accuracy 1/A).</summary>
    public required int Alphabet { get; init; }
    public required int Hidden { get; init; }
    public required int Batch { get; init; }
    /// <summary>Truncation depths k tried for both subsequence and k-step truncation.</summary>
    public required int[] Ks { get; init; }
    /// <summary>Chunk length T of the k-step and untruncated runs (subsequence runs use T = k).</summary>
    public required int Chunk { get; init; }
    /// <summary>Untruncated runs backpropagate to the start of episodes of this many steps (a multiple of Chunk).</summary>
    public required int Episode { get; init; }
    public required int Updates { get; init; }
    public required string Optimizer { get; init; }
    public required float LearningRate { get; init; }
    public required float ClipNorm { get; init; }
    /// <summary>Held-out steps per stream the final accuracy is measured on.</summary>
    public required int EvalSteps { get; init; }
    public required int Seed { get; init; }

    public void Validate()
    {
        if (Delay < 1) throw new ArgumentOutOfRangeException(nameof(Delay), Delay, "the delay L must be ≥ 1");
        if (Ks.Length == 0 || Ks.Any(k => k < 1)) throw new ArgumentException($"truncation depths must be ≥ 1, got {string.Join(",", Ks)}", nameof(Ks));
        if (Chunk < 1) throw new ArgumentOutOfRangeException(nameof(Chunk), Chunk, "the chunk length must be ≥ 1");
        if (Episode < Chunk || Episode % Chunk != 0)
            throw new ArgumentOutOfRangeException(nameof(Episode), Episode, $"the episode must be a positive multiple of the chunk length {Chunk}");
        if (Updates < 1) throw new ArgumentOutOfRangeException(nameof(Updates), Updates, "at least one update is needed");
        if (EvalSteps <= Delay) throw new ArgumentOutOfRangeException(nameof(EvalSteps), EvalSteps, $"evaluation needs more than L = {Delay} steps");
    }
}

/// <summary>One training run of the truncation experiment.</summary>
internal sealed record TruncationRun(string Scheme, int K, int ChunkLength, double Accuracy, double FinalLoss, long Predictions);

/// <summary>
/// Truncation vs dependency length: the delayed-recall task (target at t = input at t − L) is learnable only by a
/// gradient that reaches L steps back. Subsequence truncation (chunks of k, h carried as a constant) gives the loss at
/// chunk position j a reach of j &lt; k, so only the positions j ≥ L carry the signal — none when k ≤ L; k-step
/// truncation gives every loss a reach of exactly k; the untruncated runs reach back to the start of an episode.
/// Every run starts from the same W and makes the same number of updates; the result is recall accuracy on held-out streams.
/// </summary>
internal static class TruncationExperiment
{
    public static IReadOnlyList<TruncationRun> Run(TruncationSettings s, Action<string>? progress = null)
    {
        s.Validate();
        var runs = new List<TruncationRun>();
        foreach (int k in s.Ks)
            runs.Add(Train(s, new TruncationScheme.Subsequence(k), "subsequence", k, chunk: k, progress));
        foreach (int k in s.Ks)
            runs.Add(Train(s, new TruncationScheme.KStep(k), "k-step", k, chunk: s.Chunk, progress));
        runs.Add(Train(s, new TruncationScheme.Full(), "full", 0, chunk: s.Chunk, progress));
        return runs;
    }

    private static TruncationRun Train(TruncationSettings s, TruncationScheme scheme, string name, int k, int chunk, Action<string>? progress)
    {
        var task = new DelayedRecallTask(s.Alphabet, s.Delay, s.Batch, s.Seed);
        var spec = new ModelSpec(new ModelShape(task.TokenCount, s.Hidden, task.TokenCount), Activation.Tanh);
        var trainer = new PlainTrainer(spec, Initializer.Create(spec.Shape, s.Seed), scheme, s.Batch, chunk,
            Optimizers.Create(s.Optimizer, s.LearningRate), s.ClipNorm);
        var c = Chunk.ForTokens(s.Batch, chunk);
        int tail = Math.Max(1, s.Updates / 10);
        double tailLoss = 0;
        int episodeChunks = s.Episode / chunk;
        for (int u = 0; u < s.Updates; u++)
        {
            if (scheme is TruncationScheme.Full && u % episodeChunks == 0) trainer.ResetHistory();
            task.Fill(c);
            var st = trainer.Step(c);
            if (u >= s.Updates - tail) tailLoss += st.Loss;
        }
        var eval = new DelayedRecallTask(s.Alphabet, s.Delay, s.Batch, s.Seed + 7919);
        var score = RecallProbe.Score(spec, trainer.W, eval, s.EvalSteps);
        var run = new TruncationRun(name, k, chunk, score.Accuracy, tailLoss / tail, (long)s.Updates * chunk * s.Batch);
        progress?.Invoke(Invariant($"{Label(run),-16} accuracy {run.Accuracy:F3}  final loss {run.FinalLoss:F3}"));
        return run;
    }

    public static string Label(TruncationRun r) => r.Scheme == "full" ? "full" : $"{r.Scheme}({r.K})";

    public static ReportTable ToTable(IReadOnlyList<TruncationRun> runs, TruncationSettings s)
    {
        var t = new ReportTable("scheme", "k", "chunk_T", "k_minus_L", "accuracy", "final_train_loss", "train_predictions");
        foreach (var r in runs)
            t.Add(r.Scheme, r.Scheme == "full" ? s.Episode : r.K, r.ChunkLength, r.Scheme == "full" ? s.Episode - s.Delay : r.K - s.Delay,
                r.Accuracy, r.FinalLoss, r.Predictions);
        return t;
    }

    public static LineChart ToPlot(IReadOnlyList<TruncationRun> runs, TruncationSettings s)
    {
        double lo = s.Ks.Min(), hi = s.Ks.Max();
        var plot = new LineChart($"truncation: recall accuracy vs truncation depth k (delay L = {s.Delay})",
            Invariant($"A = {s.Alphabet} symbols, tanh H = {s.Hidden}, B = {s.Batch}, {s.Updates} updates of {s.Optimizer} lr {s.LearningRate}, clip {s.ClipNorm}, seed {s.Seed}"),
            "truncation depth k (steps)", "held-out recall accuracy (fraction correct)")
            { X = AxisScale.Integer, XTicks = s.Ks.Distinct().Order().Select(k => (double)k).ToArray() };
        foreach (string scheme in new[] { "subsequence", "k-step" })
        {
            var rs = runs.Where(r => r.Scheme == scheme).OrderBy(r => r.K).ToList();
            plot.Add(scheme + "(k)", rs.Select(r => (double)r.K).ToArray(), rs.Select(r => r.Accuracy).ToArray());
        }
        if (runs.FirstOrDefault(r => r.Scheme == "full") is { } full)
            plot.AddReference($"untruncated (episodes of {s.Episode})", [lo, hi], [full.Accuracy, full.Accuracy]);
        double chance = 1.0 / s.Alphabet;
        plot.AddReference($"chance 1/{s.Alphabet}", [lo, hi], [chance, chance], LineChart.ReferenceStyle.GreyDashed);
        plot.AddReference($"k = L = {s.Delay}", [s.Delay, s.Delay], [0.0, 1.0], LineChart.ReferenceStyle.GreyDotted);
        return plot;
    }

    public static string Notes(TruncationSettings s) => string.Join(" ",
        Invariant($"Delayed recall, L = {s.Delay}, A = {s.Alphabet} symbols (chance {1.0 / s.Alphabet:G3}); tanh RNN H = {s.Hidden}, B = {s.Batch} streams,"),
        Invariant($"{s.Updates} updates of {s.Optimizer} lr {s.LearningRate} with norm clip {s.ClipNorm}, seed {s.Seed}."),
        Invariant($"Subsequence runs use chunks of T = k; k-step and full runs chunks of T = {s.Chunk}; full backpropagates to the start of"),
        Invariant($"{s.Episode}-step episodes. Accuracy: argmax on {s.EvalSteps} held-out steps × {s.Batch} streams; final_train_loss: mean"),
        "CE over the last 10% of updates.");
}
