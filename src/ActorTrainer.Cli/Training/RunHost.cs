using System.Globalization;
using ActorTrainer.Actors;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Training;

/// <summary>
/// What hosting a run means, for `train` and the ps node alike: the header lines, the callbacks that
/// write metrics.csv and validation.csv and drive the progress line, checkpoints, and at the end the plot,
/// the sample, the closing lines and the exit code. A resumed run passes the update and version counts it
/// starts from; the run's own counts are added to them.
/// </summary>
public sealed class RunHost : IDisposable
{
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly RunSetup _setup;
    private readonly RunDirectory _dir;
    private readonly int _workers;
    private readonly long _baseUpdates, _baseVersion;
    private readonly MetricsLog _metrics;
    private readonly ProgressDisplay _progress;

    /// <param name="workers">Workers of the run (a cluster's slots).</param>
    /// <param name="keepHistory">A resumed run: metrics.csv's earlier rows stay (loaded for the plot).</param>
    public RunHost(TextWriter stdout, TextWriter stderr, RunSetup setup, RunDirectory dir, int workers, long baseUpdates = 0, long baseVersion = 0, bool keepHistory = false)
    {
        _out = stdout; _err = stderr; _setup = setup; _dir = dir; _workers = workers;
        _baseUpdates = baseUpdates; _baseVersion = baseVersion;
        _metrics = new MetricsLog(dir);
        if (keepHistory || baseUpdates > 0) _metrics.LoadHistory(dir);
        _progress = new ProgressDisplay(stderr, setup.Settings.Updates, setup.Settings.Progress);
    }

    public RunDirectory Directory => _dir;

    /// <summary>The run directory and what is trained, on stderr.</summary>
    public void WriteHeader()
    {
        var s = _setup.Settings;
        _err.WriteLine($"run directory: {_dir.Path}");
        _err.WriteLine($"corpus: {_setup.Corpus.Source} ({_setup.Corpus.TrainTokens.Length} train / {_setup.Corpus.ValidationTokens.Length} validation chars, V={_setup.Vocabulary.Size}); " +
                       $"model H={s.Hidden}, {_setup.Spec.Shape.Count} parameters; {_workers} workers × B={s.Batch} streams, k={s.Chunk}, {s.Truncation.ToString().ToLowerInvariant()} truncation; " +
                       $"{s.Mode.ToString().ToLowerInvariant()} mode, {s.Optimizer} lr={s.LearningRate.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Metrics and progress for every update, validation on the server's snapshots, and a checkpoint
    /// for every run snapshot (in process; a cluster run's checkpoints come from its server). A worker missing
    /// from a snapshot (the run ended before it registered) is checkpointed as in <paramref name="startingStreams"/>.</summary>
    public TrainingCallbacks Callbacks(Action<ITrainerEvent>? onEvent = null, bool checkpoints = true, IReadOnlyList<WorkerSnapshot>? startingStreams = null) => new()
    {
        OnUpdate = u =>
        {
            long n = _baseUpdates + u.UpdateNumber;
            _metrics.Write(u, n, _baseVersion + u.Version, _progress.Elapsed);
            _progress.OnUpdate(u, n);
        },
        OnEvent = onEvent,
        Validate = (weights, _) => _setup.ValidationLoss(weights),
        OnValidation = r =>
        {
            if (!double.IsNaN(r.Loss)) _metrics.WriteValidation(_baseUpdates + r.UpdateNumber, _baseVersion + r.Version, r.Loss, _progress.Elapsed);
            _progress.OnValidation(r.Loss);
        },
        OnSnapshot = checkpoints ? s => Checkpoint(s.Weights, s.UpdateNumber, s.Version, s.Optimizer, WithStarting(s.Workers, startingStreams)) : null,
    };

    private static IReadOnlyList<WorkerSnapshot> WithStarting(IReadOnlyList<WorkerSnapshot> taken, IReadOnlyList<WorkerSnapshot>? starting) =>
        starting is null ? taken : starting.Select(s => taken.FirstOrDefault(t => t.FirstStream == s.FirstStream) ?? s).ToList();

    /// <summary>model.safetensors and state.safetensors at the run's update <paramref name="updates"/>.</summary>
    public void Checkpoint(float[] weights, long updates, long version, OptimizerState? optimizer, IReadOnlyList<WorkerSnapshot> workers, long? epoch = null) =>
        _dir.WriteCheckpoint(_setup, weights, _baseUpdates + updates, _baseVersion + version, optimizer, workers, epoch);

    /// <summary>
    /// Closes the run: progress line, loss plot, then either the divergence error (1) or the sample and the
    /// summary lines (0). <paramref name="stoppedHint"/> is printed when the run was stopped early.
    /// </summary>
    public int Finish(TrainingResult result, string? stoppedHint)
    {
        _progress.Finish();
        _metrics.SavePlot(_dir.LossPlot, Reporting.RunCaption.Of(_dir.Path, _setup.Settings, _workers));
        long updates = _baseUpdates + result.Stats.Updates;
        if (result.Reason == CompletionReason.Diverged)
        {
            _err.WriteLine($"error: training diverged after {updates} updates ({result.Detail}); the last good checkpoint is in {_dir.Path}. Try a lower --lr or a --clip-norm.");
            return 1;
        }
        var s = _setup.Settings;
        string sample = _setup.Sample(result.Weights, s.SampleLength, s.Seed);
        RunDirectory.AtomicWrite(_dir.SampleText, sample);
        double validation = result.Validations.Count > 0 ? result.Validations[^1].Loss : double.NaN;
        _out.WriteLine($"trained {updates} updates; validation loss {validation.ToString("F3", CultureInfo.InvariantCulture)} nats/char; run directory {_dir.Path}");
        if (result.Reason == CompletionReason.Stopped && stoppedHint is not null) _out.WriteLine(stoppedHint);
        if (sample.Length > 0)
        {
            _out.WriteLine("--- sample ---");
            _out.WriteLine(sample);
            _out.WriteLine("--------------");
        }
        return 0;
    }

    public void Dispose() => _metrics.Dispose();
}
