using System.Globalization;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Reporting;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Cli.Diagnostics;

/// <summary>
/// Settings of the truncation experiment. Training data: Episodes episodes of EpisodeLength steps of a
/// <see cref="DelayedRecallTask"/> (alphabet A, delay L, B streams), each a fresh stream from h = 0, the same episodes
/// for every scheme. Subsequence(k) trains on chunks of k steps; k-step(L+4) and full on chunks of Chunk steps.
/// </summary>
internal sealed record TruncationOptions(
    int[] Ks, int Delay = 8, int Alphabet = 4, int Hidden = 64, int Streams = 16, int EpisodeLength = 48, int Episodes = 4000,
    int Chunk = 12, double LearningRate = 0.003, double ClipNorm = 5, int EvalEpisodes = 4, int Seed = 1)
{
    public void Validate()
    {
        if (Ks.Length == 0) throw new ArgumentException("no subsequence lengths k given", nameof(Ks));
        foreach (int k in Ks)
            if (k < 1 || k > EpisodeLength)
                throw new ArgumentOutOfRangeException(nameof(Ks), k, $"subsequence length k must be in [1, episode length {EpisodeLength}]");
        if (Delay + 1 > EpisodeLength)
            throw new ArgumentOutOfRangeException(nameof(Delay), Delay, $"episodes of {EpisodeLength} steps hold no recall position for delay L = {Delay}");
    }
}

/// <summary>
/// Experiment 2, truncation vs dependency length: the recall target at t is the input at t − L, so only gradients
/// that reach L steps back can teach the model to store it. Subsequence(k) reaches t − k⌊t/k⌋ ≤ k − 1 steps back, so it
/// should fail for k ≤ L and succeed above; k-step(L+4) and full always reach L.
/// </summary>
internal static class TruncationExperiment
{
    private const int EvalSeedOffset = 1_000_000;   // evaluation episodes never seen in training

    public static ExperimentResult Run(TruncationOptions o, TextWriter progress)
    {
        o.Validate();
        var runs = new List<(string Scheme, TruncationScheme Truncation, int Reach, int Chunk)>();
        foreach (int k in o.Ks) runs.Add(("subsequence", new TruncationScheme.Subsequence(k), k, k));
        runs.Add(("k-step", new TruncationScheme.KStep(o.Delay + 4), o.Delay + 4, o.Chunk));
        runs.Add(("full", new TruncationScheme.Full(), o.EpisodeLength, o.Chunk));

        var table = new ReportTable("scheme", "k", "chunk", "max_reach", "updates", "final_loss", "accuracy", "chance");
        double chance = 1.0 / o.Alphabet;
        var subK = new List<double>(); var subAcc = new List<double>();
        var points = new List<(string Name, double K, double Acc)>();
        foreach (var (name, truncation, k, chunkLength) in runs)
        {
            var (updates, loss, acc) = Train(o, truncation, chunkLength);
            // the furthest back any position's gradient reaches: subsequence k−1, k-step k, full the whole episode
            int reach = truncation switch { TruncationScheme.Subsequence => k - 1, TruncationScheme.KStep => k, _ => o.EpisodeLength - 1 };
            table.Add(name, k, chunkLength, reach, updates, loss, acc, chance);
            if (name == "subsequence") { subK.Add(k); subAcc.Add(acc); }
            else points.Add(($"{name} ({truncation})", k, acc));
            progress.WriteLine($"truncation: {truncation}: recall accuracy {acc:F3} (chance {chance:F3}), final loss {loss:F3}");
        }

        double xMax = Math.Max(o.EpisodeLength, subK.Max());
        var plot = new LinePlot($"recall accuracy vs truncation (delay L={o.Delay}, A={o.Alphabet}, H={o.Hidden})", "k (full: episode length)", "recall accuracy")
            .AddSeries("subsequence(k)", subK, subAcc);
        foreach (var (n, k, acc) in points) plot.AddSeries(n, [k], [acc]);
        plot.AddSeries("chance 1/A", [1, xMax], [chance, chance], Rgb.Gray);
        // the threshold: subsequence(k) reaches k−1 steps back, so it needs k > L (drawn a little above 1 to keep markers off the frame)
        plot.AddSeries($"k = L = {o.Delay}", [o.Delay, o.Delay], [0, 1.05], new Rgb(170, 170, 170));

        string notes = $"DelayedRecallTask: target at t = input at t-{o.Delay}, alphabet A={o.Alphabet}, B={o.Streams} streams; " +
            $"Elman RNN tanh H={o.Hidden}; Adam lr={F(o.LearningRate)}, clip ||g|| at {F(o.ClipNorm)}; {o.Episodes} training episodes of " +
            $"{o.EpisodeLength} steps (h = 0 and history reset at each, the same episodes for every scheme); accuracy = argmax recall " +
            $"over positions t >= L of {o.EvalEpisodes} unseen episodes. max_reach = furthest any step's gradient reaches back.";
        return new ExperimentResult("truncation", "truncation vs dependency length", notes, table, plot);
    }

    /// <summary>Trains one fresh model (same seed for every scheme) and returns updates, mean loss of the last 10%, recall accuracy.</summary>
    private static (int Updates, double FinalLoss, double Accuracy) Train(TruncationOptions o, TruncationScheme truncation, int chunkLength)
    {
        int V = o.Alphabet + 1;
        var spec = new ModelSpec(new ModelShape(V, o.Hidden, V), Activation.Tanh);
        var w = Initializer.Create(spec.Shape, o.Seed);
        var trainer = new PlainTrainer(spec, w, truncation, o.Streams, chunkLength, Optimizers.Create("adam", (float)o.LearningRate), o.ClipNorm);
        var chunk = Chunk.ForTokens(o.Streams, chunkLength);
        var losses = new List<float>();
        for (int e = 0; e < o.Episodes; e++)
        {
            var task = new DelayedRecallTask(o.Alphabet, o.Delay, o.Streams, o.Seed + e);
            trainer.StartSequence();
            for (int t0 = 0; t0 < o.EpisodeLength; t0 += chunkLength)
            {
                chunk.T = Math.Min(chunkLength, o.EpisodeLength - t0);
                task.Fill(chunk);
                losses.Add(trainer.Update(chunk).Loss);
            }
        }
        double final = losses.Skip(losses.Count - Math.Max(1, losses.Count / 10)).Average(l => (double)l);
        var score = RecallProbe.Score(spec, trainer.W, o.Alphabet, o.Delay, o.Streams, o.EpisodeLength, o.EvalEpisodes, o.Seed + EvalSeedOffset);
        return (losses.Count, final, score.Accuracy);
    }

    private static string F(double x) => x.ToString("G4", CultureInfo.InvariantCulture);
}
