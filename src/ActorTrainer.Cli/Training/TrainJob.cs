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
/// The main job: a parameter server and N workers in this process, one actor tree for the whole run.
/// Validation runs on the server's W snapshots and checkpoints (weights, optimizer state, hidden state
/// and data position: everything --resume needs) on its run snapshots, both taken without stopping the
/// workers, so no gradient in flight is dropped at an evaluation or checkpoint. The hosting (metrics,
/// progress, sample, exit code) is <see cref="RunHost"/>'s, shared with the ps node.
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
            dir = RunDirectory.CreateNew(settings.Out, settings, setup.Workers);
        }

        using var host = new RunHost(_out, _err, setup, dir, setup.Workers, updates, version);
        host.WriteHeader();
        using var system = TrainerHocon.LocalSystem("actortrainer");
        var run = new TrainingRunSettings(settings.Mode, settings.Updates - updates, ModelFingerprint.Of(setup.Spec).Shape, settings.Staleness,
            validateEvery: settings.EvalEvery, maxInFlight: settings.ExplicitMaxInFlight, shards: settings.Shards)
        {
            SnapshotEvery = settings.CheckpointEvery,
            ClipNorm = settings.ClipNorm, ClipValue = settings.ClipValue, // the server enforces the workers' clipping
        }.WithPushRules(settings);
        // A worker stopped before it registered computed nothing: a checkpoint keeps its streams as they start.
        var starting = computers.Select(c => c.Snapshot()).ToList();
        var result = await TrainingRun.RunAsync(system, run, computers, w, setup.CreateUpdateRule(optimizerState), host.Callbacks(startingStreams: starting), ct);
        int code = host.Finish(result, $"stopped early; continue with: actortrainer train --resume {dir.Path} --updates {settings.Updates}");
        return code == ExitCodes.Ok && ct.IsCancellationRequested ? ExitCodes.Interrupted : code;
    }

    /// <summary>For --resume: the run's recorded settings, with only the schedule taken from the command line.</summary>
    internal static (TrainSettings Settings, RunDirectory? Dir, bool Resumed) Prepare(TrainSettings requested, bool requireCheckpoint = true)
    {
        if (requested.Resume is null) return (requested, null, false);
        var dir = RunDirectory.OpenExisting(requested.Resume, requireCheckpoint);
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
