using System.Globalization;
using static System.FormattableString;
using ActorTrainer.Cli.Diagnostics;
using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Core.Optim;
using ActorTrainer.Cli.Reporting;
using ActorTrainer.Core.Reporting;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Cli.Experiments;

/// <summary>Settings of the clipping experiment: an exploding setup, trained twice.</summary>
internal sealed record ClippingSettings
{
    // Every value comes from the command line or its default in reference.conf (actortrainer.experiment.*).
    public required int Hidden { get; init; }
    /// <summary>ρ(W_hh) at initialisation; well above 1 so that gradients explode.</summary>
    public required double Radius { get; init; }
    public required int Batch { get; init; }
    /// <summary>k: subsequence truncation with chunks of k steps.</summary>
    public required int K { get; init; }
    public required int Updates { get; init; }
    public required string Optimizer { get; init; }
    public required float LearningRate { get; init; }
    /// <summary>c of the clipped run: g ← g·c/‖g‖ when ‖g‖ &gt; c.</summary>
    public required float ClipNorm { get; init; }
    public required int Seed { get; init; }

    public void Validate()
    {
        if (!(Radius >= 0) || double.IsInfinity(Radius)) throw new ArgumentOutOfRangeException(nameof(Radius), Radius, "spectral radius must be finite and ≥ 0");
        if (K < 1) throw new ArgumentOutOfRangeException(nameof(K), K, "k must be ≥ 1");
        if (Updates < 1) throw new ArgumentOutOfRangeException(nameof(Updates), Updates, "at least one update is needed");
        if (!(ClipNorm > 0) || float.IsInfinity(ClipNorm)) throw new ArgumentOutOfRangeException(nameof(ClipNorm), ClipNorm, "the clip threshold must be finite and > 0");
    }
}

/// <summary>One run: per-update loss, pre-clip gradient norm and whether ‖g‖ &gt; c (clipped, or would have been), and the held-out loss at the end.</summary>
internal sealed record ClippingRun(string Name, float? ClipNorm, float[] Loss, double[] GradNorm, bool[] Clipped, int Skipped,
    double ValidationLoss, double FinalRadius, ModelSpec Spec, float[] W)
{
    public double ClippedFraction => Clipped.Count(c => c) / (double)Clipped.Length;

    /// <summary>Mean loss over the last 10% of updates (NaN if any of them was not finite).</summary>
    public double FinalTrainLoss
    {
        get
        {
            int n = Math.Max(1, Loss.Length / 10);
            return Loss.Skip(Loss.Length - n).Average(l => (double)l);
        }
    }

    public double MedianGradNorm => Median(GradNorm);
    public double MaxGradNorm => GradNorm.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();

    private static double Median(double[] x)
    {
        var s = x.Where(double.IsFinite).OrderBy(v => v).ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}

/// <summary>
/// Clipping: a character model whose W_hh starts with spectral radius well above 1, trained with a large step size
/// from the same W on the same chunks, once without clipping and once with global-norm clipping at c. The clipped
/// run bounds every step to lr·c, so the rare huge gradients of the exploding regime cannot throw W away.
/// </summary>
internal static class ClippingExperiment
{
    public static IReadOnlyList<ClippingRun> Run(ClippingSettings s, CharCorpus corpus, Action<string>? progress = null)
    {
        s.Validate();
        return [Train(s, corpus, null, progress), Train(s, corpus, s.ClipNorm, progress)];
    }

    private static ClippingRun Train(ClippingSettings s, CharCorpus corpus, float? clip, Action<string>? progress)
    {
        var vocab = corpus.Vocabulary;
        var model = ModelSource.Fresh(vocab, s.Hidden, Activation.Tanh, new WhhInit.SpectralRadius(s.Radius), s.Seed);
        var trainer = new PlainTrainer(model.Spec, model.W, new TruncationScheme.Subsequence(s.K), s.Batch, s.K,
            Optimizers.Create(s.Optimizer, s.LearningRate), clip);
        var layout = new StreamLayout(corpus.TrainTokens.Length, s.Batch, s.K);
        var reader = new ChunkReader(corpus.TrainTokens, layout, 0, s.Batch);
        var chunk = Chunk.ForTokens(s.Batch, s.K);
        var loss = new float[s.Updates];
        var norm = new double[s.Updates];
        var clipped = new bool[s.Updates];
        int skipped = 0;
        for (int u = 0; u < s.Updates; u++)
        {
            if (reader.Next(chunk).ResetState) Array.Clear(trainer.HPrev);
            var st = trainer.Step(chunk);
            // the unclipped run records whether c would have clipped this update
            (loss[u], norm[u], clipped[u]) = (st.Loss, st.GradNorm, clip is null ? st.GradNorm > s.ClipNorm : st.Clipped);
            if (!st.Applied) skipped++;
        }
        double val = ValidationLoss(model.Spec, trainer.W, corpus, s);
        double rho = SpectralRadius.OfWhh(model.Spec.Shape, trainer.W).Radius;
        string name = clip is { } c ? $"clip at {c.ToString(CultureInfo.InvariantCulture)}" : "no clipping";
        var run = new ClippingRun(name, clip, loss, norm, clipped, skipped, val, rho, model.Spec, trainer.W);
        progress?.Invoke(Invariant($"{name,-14} final train loss {run.FinalTrainLoss:F3}  validation {run.ValidationLoss:F3}  ") +
                         Invariant($"clipped {run.ClippedFraction:P1}  median |g| {run.MedianGradNorm:G3}  max |g| {run.MaxGradNorm:G3}"));
        return run;
    }

    /// <summary>Mean CE over the held-out tail cut into B streams (h from 0), or NaN when it is too short or W is not finite.</summary>
    private static double ValidationLoss(ModelSpec spec, float[] w, CharCorpus corpus, ClippingSettings s)
    {
        int[] val = corpus.ValidationTokens.ToArray();
        int len = Math.Min(val.Length / s.Batch, 2001);
        if (len < 2 || w.Any(x => !float.IsFinite(x))) return double.NaN;
        var streams = Enumerable.Range(0, s.Batch).Select(b => val[(b * len)..((b + 1) * len)]).ToList();
        return new Evaluator(spec, s.Batch, s.K).MeanLoss(w, streams);
    }

    /// <summary>Saves a run's final W as a model checkpoint (with the vocabulary and φ), e.g. for `diagnose --checkpoint`.</summary>
    public static void SaveModel(ClippingRun run, Vocabulary vocab, string path) =>
        ModelCheckpoint.Write(path, run.Spec.Shape, run.W, vocab, new Dictionary<string, string>
        {
            ["activation"] = ModelSource.Name(run.Spec.Phi),
            ["source"] = "actortrainer experiment clipping (" + run.Name + ")",
        });

    /// <summary>Per update: both runs' loss, pre-clip norm and (clipped run) whether it was clipped.</summary>
    public static ReportTable ToLog(IReadOnlyList<ClippingRun> runs)
    {
        var cols = new List<string> { "update" };
        foreach (var r in runs) cols.AddRange([Key(r) + "_loss", Key(r) + "_grad_norm", Key(r) + "_clipped"]);
        var t = new ReportTable(cols.ToArray());
        for (int u = 0; u < runs[0].Loss.Length; u++)
        {
            var row = new List<object?> { u + 1 };
            foreach (var r in runs) row.AddRange([(double)r.Loss[u], r.GradNorm[u], r.Clipped[u] ? 1 : 0]);
            t.Add(row.ToArray());
        }
        return t;
    }

    /// <summary>One row per run.</summary>
    public static ReportTable ToSummary(IReadOnlyList<ClippingRun> runs)
    {
        var t = new ReportTable("run", "clip_norm", "updates", "clipped_fraction", "skipped_nonfinite", "median_grad_norm", "max_grad_norm",
            "final_train_loss", "validation_loss", "final_radius");
        foreach (var r in runs)
            t.Add(r.Name, r.ClipNorm is { } c ? (double)c : double.NaN, r.Loss.Length, r.ClippedFraction, r.Skipped, r.MedianGradNorm,
                r.MaxGradNorm, r.FinalTrainLoss, r.ValidationLoss, r.FinalRadius);
        return t;
    }

    public static LineChart ToPlot(IReadOnlyList<ClippingRun> runs, ClippingSettings s)
    {
        var plot = new LineChart("clipping: training loss with and without clipping", Subtitle(s), "update", "training loss per chunk (nats/char)")
            { X = AxisScale.Integer };
        foreach (var r in runs)
            plot.Add(r.Name, Enumerable.Range(1, r.Loss.Length).Select(u => (double)u).ToArray(), r.Loss.Select(l => (double)l).ToArray());
        return plot;
    }

    /// <summary>The pre-clip gradient norm of both runs per update, log scale, with the threshold c.</summary>
    public static LineChart ToNormPlot(IReadOnlyList<ClippingRun> runs, ClippingSettings s)
    {
        var plot = new LineChart("clipping: gradient norm ‖g‖ before clipping", Subtitle(s), "update", "‖g‖ (log scale)")
            { X = AxisScale.Integer, Y = AxisScale.Log10 };
        double[] updates = Enumerable.Range(1, runs[0].Loss.Length).Select(u => (double)u).ToArray();
        foreach (var r in runs) plot.Add(r.Name, updates, DiagnosisReport.Positive(r.GradNorm));
        plot.AddReference($"clip threshold c = {s.ClipNorm.ToString(CultureInfo.InvariantCulture)}", [1.0, updates[^1]], [s.ClipNorm, s.ClipNorm]);
        return plot;
    }

    private static string Subtitle(ClippingSettings s) =>
        Invariant($"tanh H = {s.Hidden}, ρ(W_hh) = {s.Radius:G3} at start, B = {s.Batch}, k = {s.K}, {s.Optimizer} lr {s.LearningRate}, seed {s.Seed}");

    public static string Notes(ClippingSettings s, string source) => string.Join(" ",
        Invariant($"Character model on {source}: tanh, H = {s.Hidden}, W_hh rescaled to spectral radius {s.Radius} (seed {s.Seed});"),
        Invariant($"B = {s.Batch} streams, subsequence truncation k = {s.K}, {s.Updates} updates of {s.Optimizer} lr {s.LearningRate}."),
        Invariant($"Both runs start from the same W and see the same chunks; the second clips the global gradient norm at {s.ClipNorm}."),
        "clipped_fraction: updates whose pre-clip norm exceeded the threshold (for the unclipped run: would have);",
        "final_train_loss: mean over the last 10% of updates; validation_loss: mean CE on held-out text.");

    private static string Key(ClippingRun r) => r.ClipNorm is null ? "noclip" : "clip";
}
