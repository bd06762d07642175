using System.Globalization;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Reporting;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Cli.Diagnostics;

/// <summary>Settings of the clipping experiment: an exploding setup (ρ(W_hh) well above 1, large SGD step) on a corpus.</summary>
internal sealed record ClippingOptions(
    double[] ClipNorms, int Hidden = 64, double Radius = 3, double LearningRate = 2.0, int Steps = 500,
    int Streams = 16, int Chunk = 25, string Optimizer = "sgd", int Seed = 1);

/// <summary>
/// Experiment 3, clipping: the same fresh model (tanh, W_hh rescaled to ρ = Radius), the same chunks of the corpus in
/// the same order, trained with subsequence truncation (k = chunk, h carried across chunks): once plain, and once
/// per threshold c with the gradient clipped to global L2 norm c. Records every update's loss and pre-clip norm; a non-finite
/// loss or gradient is counted and never applied (it shows as a gap in the curve).
/// </summary>
internal static class ClippingExperiment
{
    public static ExperimentResult Run(CharCorpus corpus, ClippingOptions o, TextWriter progress)
    {
        var layout = new StreamLayout(corpus.TrainTokens.Length, o.Streams, o.Chunk);
        var runs = new List<(string Name, double C, List<UpdateRecord> Records)> { ("no clipping", double.PositiveInfinity, Train(corpus, layout, o, double.PositiveInfinity)) };
        foreach (double c in o.ClipNorms) runs.Add(($"clip c={F(c)}", c, Train(corpus, layout, o, c)));

        var table = new ReportTable("run", "updates", "clip_c", "clipped_fraction", "nonfinite", "first_loss", "final_loss", "min_loss",
            "median_norm", "max_norm");
        var curves = new ReportTable("update", "run", "loss", "grad_norm", "clipped", "applied");
        var plot = new LinePlot($"training loss, tanh H={o.Hidden}, rho(W_hh)={F(o.Radius)}, {o.Optimizer} lr={F(o.LearningRate)}",
            "update", "mean CE loss of the chunk (log scale)") { LogY = true };
        foreach (var (name, c, records) in runs)
        {
            var finiteLosses = records.Where(r => float.IsFinite(r.Loss)).Select(r => (double)r.Loss).ToArray();
            var norms = records.Select(r => r.NormBefore).Where(double.IsFinite).Order().ToArray();
            int tail = Math.Max(1, records.Count / 10);
            table.Add(name, records.Count, c, records.Count(r => r.Clipped) / (double)records.Count,
                records.Count(r => !r.Applied), (double)records[0].Loss,
                records.Skip(records.Count - tail).Select(r => (double)r.Loss).Average(),
                finiteLosses.Length > 0 ? finiteLosses.Min() : double.NaN,
                norms.Length > 0 ? norms[norms.Length / 2] : double.NaN, norms.Length > 0 ? norms[^1] : double.NaN);
            for (int i = 0; i < records.Count; i++)
                curves.Add(i + 1, name, (double)records[i].Loss, records[i].NormBefore, records[i].Clipped ? 1 : 0, records[i].Applied ? 1 : 0);
            plot.AddSeries(name, Enumerable.Range(1, records.Count).Select(i => (double)i).ToArray(),
                records.Select(r => float.IsFinite(r.Loss) && r.Loss > 0 ? r.Loss : double.NaN).ToArray());
            progress.WriteLine($"clipping: {name}: final loss {records[^1].Loss:G4}, clipped {records.Count(r => r.Clipped)}/{records.Count}, " +
                               $"non-finite {records.Count(r => !r.Applied)}");
        }
        string notes = $"{corpus.Source}; fresh tanh model V={corpus.Vocabulary.Size}, H={o.Hidden}, seed {o.Seed}, W_hh rescaled to spectral radius " +
            $"{F(o.Radius)}; {o.Optimizer} lr={F(o.LearningRate)}; B={o.Streams} streams, subsequence truncation k={o.Chunk} (h carried); " +
            $"{o.Steps} updates per run on the same chunks. clipped_fraction = updates with pre-clip ||g|| > c; nonfinite = updates " +
            "with a NaN/inf loss or gradient (not applied; gaps in the plot); final_loss = mean of the last 10% of updates " +
            "(NaN if any of them was non-finite). Per-update values: clipping_curves.csv.";
        return new ExperimentResult("clipping", "clipping an exploding RNN", notes, table, plot) { Extra = [("clipping_curves", curves)] };
    }

    private static List<UpdateRecord> Train(CharCorpus corpus, StreamLayout layout, ClippingOptions o, double clip)
    {
        var shape = new ModelShape(corpus.Vocabulary.Size, o.Hidden, corpus.Vocabulary.Size);
        var w = Initializer.Create(shape, o.Seed);
        SpectralRadius.RescaleWhh(shape, w, o.Radius);
        var trainer = new PlainTrainer(new ModelSpec(shape, Activation.Tanh), w, new TruncationScheme.Subsequence(o.Chunk), o.Streams, o.Chunk,
            Optimizers.Create(o.Optimizer, (float)o.LearningRate), clip);
        var reader = new ChunkReader(corpus.TrainTokens, layout, 0, o.Streams);
        var chunk = Chunk.ForTokens(o.Streams, o.Chunk);
        var records = new List<UpdateRecord>(o.Steps);
        for (int i = 0; i < o.Steps; i++)
        {
            if (reader.Next(chunk).ResetState) trainer.StartSequence();
            records.Add(trainer.Update(chunk));
        }
        return records;
    }

    private static string F(double x) => x.ToString("G4", CultureInfo.InvariantCulture);
}
