using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Cli.Reporting;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Training;

/// <summary>
/// metrics.csv: one row per applied update. In sync mode one update averages several workers'
/// gradients: worker lists their ids (';'-separated), loss and grad_norm are their means, clipped
/// says whether any was clipped, staleness is the largest. Also keeps the series for the loss plot,
/// and writes the same metrics as a TensorBoard event file beside metrics.csv (<see cref="TensorBoardWriter"/>):
/// per update the scalars loss/train, grad_norm/pre_clip, staleness/update; per validation
/// loss/validation; and per window (the updates since the previous validation, or the rest at the end)
/// throughput/tokens_per_s, optimizer/learning_rate and the histogram staleness.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    public static readonly string[] Columns =
        ["update", "version", "worker", "chunk", "loss", "grad_norm", "clipped", "staleness", "tokens", "elapsed_s"];

    private readonly CsvWriter _csv;
    private readonly CsvWriter _validation;
    private readonly TensorBoardWriter _events;
    private readonly float _learningRate;                  // from run.json; NaN if it holds none
    private readonly List<long> _stalenessCounts = new();  // [s] = updates of staleness s in this window
    private long _windowTokens, _lastUpdate;
    private double _windowStart, _lastElapsed;
    public List<(double Update, double Loss)> TrainLoss { get; } = new();
    public List<(double Update, double Loss)> ValidationLoss { get; } = new();

    /// <param name="clock">Wall time of the TensorBoard events (tests pass their own).</param>
    public MetricsLog(RunDirectory dir, TimeProvider? clock = null)
    {
        _csv = new CsvWriter(dir.Metrics, Columns);
        _validation = new CsvWriter(dir.Validation, ["update", "version", "val_loss", "elapsed_s"]);
        _events = new TensorBoardWriter(dir.Path, clock);
        _learningRate = File.Exists(dir.RunJson) && dir.ReadSettings().TryGetValue("lr", out var lr)
                        && float.TryParse(lr, System.Globalization.NumberStyles.Float, Inv, out float x) ? x : float.NaN;
    }

    /// <summary>
    /// For a resumed run: drops rows logged after the checkpoint being resumed (they will be logged
    /// again), and loads the rest so the plots cover the whole run. Must run before the log is opened.
    /// </summary>
    public static void TrimAfter(RunDirectory dir, long updates)
    {
        // Both files are read and checked before either is rewritten: a bad line changes nothing.
        var files = new[] { (dir.Metrics, 4), (dir.Validation, 2) }.Where(f => File.Exists(f.Item1))
            .Select(f => (Path: f.Item1, Rows: ReadChecked(f.Item1, f.Item2))).ToList();
        foreach (var (path, rows) in files)
        {
            var kept = rows.Take(1).Concat(rows.Skip(1).Where(r => r.Length > 0 && long.Parse(r[0], Inv) <= updates));
            RunDirectory.AtomicWrite(path, string.Concat(kept.Select(r => CsvWriter.FormatRow(r) + "\n")));
        }
    }

    public void LoadHistory(RunDirectory dir)
    {
        foreach (var row in ReadChecked(dir.Metrics, 4).Skip(1).Where(r => r.Length > 0))
            TrainLoss.Add((double.Parse(row[0], Inv), double.Parse(row[4], Inv)));
        foreach (var row in ReadChecked(dir.Validation, 2).Skip(1).Where(r => r.Length > 0))
            ValidationLoss.Add((double.Parse(row[0], Inv), double.Parse(row[2], Inv)));
    }

    /// <summary>A log's rows, each data row checked to hold an update number and a number in column
    /// <paramref name="lossColumn"/>; UsageException naming the file and line otherwise (--resume's input).</summary>
    private static List<string[]> ReadChecked(string path, int lossColumn)
    {
        List<string[]> rows;
        try { rows = CsvReader.ReadAll(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidDataException)
        {
            throw new CommandLine.UsageException($"--resume: cannot read {path} ({e.Message})");
        }
        for (int i = 1; i < rows.Count; i++)
        {
            var r = rows[i];
            if (r.Length == 0 || (r.Length == 1 && r[0].Length == 0)) continue;
            if (r.Length <= lossColumn || !long.TryParse(r[0], System.Globalization.NumberStyles.Integer, Inv, out _)
                || !double.TryParse(r[lossColumn], System.Globalization.NumberStyles.Float, Inv, out _))
                throw new CommandLine.UsageException($"--resume: {path} line {i + 1} is not a {System.IO.Path.GetFileNameWithoutExtension(path)} row: '{string.Join(",", r)}'");
        }
        return rows;
    }

    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    public void Write(UpdateApplied u, long update, long version, double elapsed)
    {
        _csv.WriteRow(update, version, string.Join(';', u.WorkerIds), string.Join(';', u.ChunkIds), u.Loss, u.GradNorm,
            u.Clipped ? 1 : 0, u.Staleness, u.Tokens, Math.Round(elapsed, 3));
        TrainLoss.Add((update, u.Loss));
        _events.AddScalars(update, [("loss/train", u.Loss), ("grad_norm/pre_clip", (float)u.GradNorm), ("staleness/update", u.Staleness)]);
        while (_stalenessCounts.Count <= u.Staleness) _stalenessCounts.Add(0);
        _stalenessCounts[(int)u.Staleness]++;
        _windowTokens += u.Tokens;
        _lastUpdate = update;
        _lastElapsed = elapsed;
    }

    public void WriteValidation(long update, long version, double loss, double elapsed)
    {
        _validation.WriteRow(update, version, loss, Math.Round(elapsed, 3));
        ValidationLoss.Add((update, loss));
        _events.AddScalars(update, [("loss/validation", (float)loss)]);
        CloseWindow(update, elapsed);
    }

    /// <summary>Writes the window's throughput, learning rate and staleness histogram at step update, and starts a new window.</summary>
    private void CloseWindow(long update, double elapsed)
    {
        if (_stalenessCounts.Count == 0) return;
        double seconds = elapsed - _windowStart;
        var scalars = new List<(string, float)>();
        if (seconds > 0) scalars.Add(("throughput/tokens_per_s", (float)(_windowTokens / seconds)));
        if (!float.IsNaN(_learningRate)) scalars.Add(("optimizer/learning_rate", _learningRate));
        if (scalars.Count > 0) _events.AddScalars(update, scalars);
        if (TensorBoardEvent.Histogram.OfCounts(_stalenessCounts) is { } h) _events.AddHistogram("staleness", update, h);
        _stalenessCounts.Clear();
        _windowTokens = 0;
        _windowStart = elapsed;
    }

    /// <summary>loss.png: train and validation loss against updates, <paramref name="caption"/> under the title.</summary>
    public void SavePlot(string path, string caption)
    {
        if (TrainLoss.Count == 0) return;
        var plot = new LineChart("training loss", caption, "update", "loss (nats/char)") { X = AxisScale.Integer };
        plot.Add("train (per chunk)", TrainLoss.Select(p => p.Update).ToArray(), TrainLoss.Select(p => p.Loss).ToArray());
        if (ValidationLoss.Count > 0)
            plot.Add("validation", ValidationLoss.Select(p => p.Update).ToArray(), ValidationLoss.Select(p => p.Loss).ToArray());
        plot.SavePng(path);
    }

    public void Dispose()
    {
        try { CloseWindow(_lastUpdate, _lastElapsed); }
        finally
        {
            _events.Dispose();
            _csv.Dispose();
            _validation.Dispose();
        }
    }
}
