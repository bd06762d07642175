using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;
using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Training;

/// <summary>
/// The main job: a parameter server and N workers in this process, run in segments of
/// eval-every updates. Between segments the workers are idle, so validation, checkpoints
/// (weights, optimizer state, hidden state and data position — everything --resume needs) and
/// the progress line see one consistent point of the run. In sync mode segmenting changes
/// nothing; in async/ssp mode the gradients still in flight at a segment's end (up to the
/// in-flight limit per worker) are dropped.
/// </summary>
public sealed class TrainJob
{
    private readonly TextWriter _out;
    private readonly TextWriter _err;

    public TrainJob(TextWriter stdout, TextWriter stderr) { _out = stdout; _err = stderr; }

    public async Task<int> RunAsync(TrainSettings requested, CancellationToken ct)
    {
        // Everything that can fail on bad input happens before anything is written.
        var (settings, dir, resumed) = Prepare(requested);
        var setup = RunSetup.Create(settings);
        float[] w;
        OptimizerState? optimizerState = null;
        long updates = 0, version = 0;
        var computers = Enumerable.Range(0, setup.Workers).Select(setup.CreateComputer).ToList();
        if (resumed)
        {
            var model = setup.ReadCompatible(dir!.Model);
            w = model.W;
            (optimizerState, updates, version) = RestoreState(dir, setup, computers);
            if (updates >= settings.Updates)
                throw new UsageException($"run {dir.Path} already has {updates} updates; pass --updates N with N > {updates} to train further");
            MetricsLog.TrimAfter(dir, updates);
        }
        else
        {
            w = setup.InitialWeights();
            dir = RunDirectory.CreateNew(settings.Out);
            dir.WriteSettings(settings, setup.Workers);
        }

        _err.WriteLine($"run directory: {dir.Path}");
        _err.WriteLine($"corpus: {setup.Corpus.Source} ({setup.Corpus.TrainTokens.Length} train / {setup.Corpus.ValidationTokens.Length} validation chars, V={setup.Vocabulary.Size}); " +
                       $"model H={settings.Hidden}, {setup.Spec.Shape.Count} parameters; {setup.Workers} workers × B={settings.Batch} streams, k={settings.Chunk}, {settings.Truncation.ToString().ToLowerInvariant()} truncation; {settings.Mode.ToString().ToLowerInvariant()} mode, {settings.Optimizer} lr={settings.LearningRate.ToString(CultureInfo.InvariantCulture)}");

        var rule = setup.CreateUpdateRule(optimizerState);
        using var metrics = new MetricsLog(dir);
        if (resumed) metrics.LoadHistory(dir);
        var progress = new ProgressDisplay(_err, settings.Updates, settings.Progress);
        using var system = ActorSystem.Create("actortrainer", ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(TrainerHocon.Config));

        var fingerprint = ModelFingerprint.Of(setup.Spec).Shape;
        int segment = settings.EvalEvery > 0 ? settings.EvalEvery : settings.Updates;
        long nextCheckpoint = settings.CheckpointEvery > 0 ? (updates / settings.CheckpointEvery + 1) * settings.CheckpointEvery : long.MaxValue;
        CompletionReason reason = CompletionReason.ReachedMaxUpdates;
        string detail = "";
        double validation = double.NaN;
        // At least one segment, so a run stopped at once (Ctrl-C during start-up) still ends with a checkpoint.
        do
        {
            long length = Math.Min(segment, settings.Updates - updates);
            long baseUpdates = updates, baseVersion = version;
            var callbacks = new TrainingCallbacks
            {
                OnUpdate = u =>
                {
                    long n = baseUpdates + u.UpdateNumber;
                    metrics.Write(u, n, baseVersion + u.Version, progress.Elapsed);
                    progress.OnUpdate(u, n);
                },
            };
            var run = new TrainingRunSettings(settings.Mode, length, fingerprint, settings.Staleness,
                maxInFlight: settings.ExplicitMaxInFlight, shards: settings.Shards);
            var result = await TrainingRun.RunAsync(system, run, computers, w, rule, callbacks, ct);
            w = result.Weights;
            updates += result.Stats.Updates;
            version += result.Version;
            reason = result.Reason;
            detail = result.Detail;
            if (reason == CompletionReason.Diverged) break;

            validation = setup.ValidationLoss(w);
            if (!double.IsNaN(validation)) metrics.WriteValidation(updates, version, validation, progress.Elapsed);
            progress.OnValidation(validation);
            if (updates >= nextCheckpoint || updates >= settings.Updates || ct.IsCancellationRequested)
            {
                dir.WriteCheckpoint(setup, w, updates, version, rule.State, computers.Select(c => c.Snapshot()).ToList());
                nextCheckpoint = (updates / Math.Max(1, settings.CheckpointEvery) + 1) * Math.Max(1, settings.CheckpointEvery);
            }
        }
        while (updates < settings.Updates && !ct.IsCancellationRequested);
        progress.Finish();
        metrics.SavePlot(dir.LossPlot, Reporting.RunCaption.Of(dir.Path, settings, setup.Workers));

        if (reason == CompletionReason.Diverged)
        {
            _err.WriteLine($"error: training diverged after {updates} updates ({detail}); the last good checkpoint is in {dir.Path}. Try a lower --lr or a --clip-norm.");
            return 1;
        }
        string sample = setup.Sample(w, settings.SampleLength, settings.Seed);
        RunDirectory.AtomicWrite(dir.SampleText, sample);
        _out.WriteLine($"trained {updates} updates; validation loss {validation:F3} nats/char; run directory {dir.Path}");
        if (ct.IsCancellationRequested)
            _out.WriteLine($"stopped early; continue with: actortrainer train --resume {dir.Path} --updates {settings.Updates}");
        if (sample.Length > 0)
        {
            _out.WriteLine("--- sample ---");
            _out.WriteLine(sample);
            _out.WriteLine("--------------");
        }
        return ct.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    /// <summary>For --resume: the run's recorded settings, with only the schedule taken from the command line.</summary>
    internal static (TrainSettings Settings, RunDirectory? Dir, bool Resumed) Prepare(TrainSettings requested)
    {
        if (requested.Resume is null) return (requested, null, false);
        var dir = RunDirectory.OpenExisting(requested.Resume);
        var recorded = dir.ReadSettings();
        // The recorded settings, as flags would give them (run.json keys use '_' for '-').
        var flags = recorded.ToDictionary(kv => kv.Key.Replace('_', '-'), kv => kv.Value);
        TrainSettings s;
        try { s = TrainSettingsLoader.Load(flags, new System.Collections.Hashtable()); }
        catch (UsageException e) { throw new UsageException($"--resume {dir.Path}: run.json holds a bad setting: {e.Message}"); }
        s = s with
        {
            Updates = requested.Updates, EvalEvery = requested.EvalEvery, CheckpointEvery = requested.CheckpointEvery,
            Progress = requested.Progress, SampleLength = requested.SampleLength, Temperature = requested.Temperature,
            Resume = requested.Resume,
        };
        return (s, dir, true);
    }

    private static (OptimizerState?, long Updates, long Version) RestoreState(RunDirectory dir, RunSetup setup, IReadOnlyList<StreamGradientComputer> computers)
    {
        var state = dir.ReadCheckpointState(setup, computers.Count);
        for (int i = 0; i < computers.Count; i++)
            computers[i].Restore(state.Workers[i] with { FirstStream = computers[i].FirstStream, StreamCount = computers[i].StreamCount });
        return (state.Optimizer, state.Updates, state.Version);
    }
}
