using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Training;

/// <summary>
/// metrics.csv: one row per applied update. In sync mode one update averages several workers'
/// gradients: worker lists their ids (';'-separated), loss and grad_norm are their means, clipped
/// says whether any was clipped, staleness is the largest. Also keeps the series for the loss plot.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    public static readonly string[] Columns =
        ["update", "version", "worker", "chunk", "loss", "grad_norm", "clipped", "staleness", "tokens", "elapsed_s"];

    private readonly CsvWriter _csv;
    private readonly CsvWriter _validation;
    public List<(double Update, double Loss)> TrainLoss { get; } = new();
    public List<(double Update, double Loss)> ValidationLoss { get; } = new();

    public MetricsLog(RunDirectory dir)
    {
        _csv = new CsvWriter(dir.Metrics, Columns);
        _validation = new CsvWriter(dir.Validation, ["update", "version", "val_loss", "elapsed_s"]);
    }

    /// <summary>
    /// For a resumed run: drops rows logged after the checkpoint being resumed (they will be logged
    /// again), and loads the rest so the plots cover the whole run. Must run before the log is opened.
    /// </summary>
    public static void TrimAfter(RunDirectory dir, long updates)
    {
        foreach (var path in new[] { dir.Metrics, dir.Validation })
        {
            if (!File.Exists(path)) continue;
            var rows = CsvReader.ReadAll(path);
            var kept = rows.Take(1).Concat(rows.Skip(1).Where(r => r.Length > 0 && long.Parse(r[0], Inv) <= updates));
            RunDirectory.AtomicWrite(path, string.Concat(kept.Select(r => CsvWriter.FormatRow(r) + "\n")));
        }
    }

    public void LoadHistory(RunDirectory dir)
    {
        foreach (var row in CsvReader.ReadAll(dir.Metrics).Skip(1))
            TrainLoss.Add((double.Parse(row[0], Inv), double.Parse(row[4], Inv)));
        foreach (var row in CsvReader.ReadAll(dir.Validation).Skip(1))
            ValidationLoss.Add((double.Parse(row[0], Inv), double.Parse(row[2], Inv)));
    }

    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    public void Write(UpdateApplied u, long update, long version, double elapsed)
    {
        _csv.WriteRow(update, version, string.Join(';', u.WorkerIds), string.Join(';', u.ChunkIds), u.Loss, u.GradNorm,
            u.Clipped ? 1 : 0, u.Staleness, u.Tokens, Math.Round(elapsed, 3));
        TrainLoss.Add((update, u.Loss));
    }

    public void WriteValidation(long update, long version, double loss, double elapsed)
    {
        _validation.WriteRow(update, version, loss, Math.Round(elapsed, 3));
        ValidationLoss.Add((update, loss));
    }

    public void SavePlot(string path)
    {
        if (TrainLoss.Count == 0) return;
        var plot = new LinePlot("training loss", "update", "loss (nats/char)");
        plot.AddSeries("train (chunk)", TrainLoss.Select(p => p.Update).ToArray(), TrainLoss.Select(p => p.Loss).ToArray());
        if (ValidationLoss.Count > 0)
            plot.AddSeries("validation", ValidationLoss.Select(p => p.Update).ToArray(), ValidationLoss.Select(p => p.Loss).ToArray());
        plot.SavePng(path);
    }

    public void Dispose()
    {
        _csv.Dispose();
        _validation.Dispose();
    }
}
