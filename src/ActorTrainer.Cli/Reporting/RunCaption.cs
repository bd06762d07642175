using ActorTrainer.Core.Training;
using static System.FormattableString;

namespace ActorTrainer.Cli.Reporting;

/// <summary>The line under a training run's plot titles: the run directory's name and the settings that shape its curves.</summary>
public static class RunCaption
{
    public static string Of(string runDirectory, TrainSettings s, int workers)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDirectory)));
        string mode = s.Mode.ToString().ToLowerInvariant() + (s.Mode == ConsistencyMode.Ssp ? Invariant($":{s.Staleness}") : "");
        string clip = s.ClipNorm is { } c ? Invariant($", clip {c}") : "";
        return Invariant($"{name}: H={s.Hidden}, {s.Activation.ToString().ToLowerInvariant()}, B={s.Batch}, k={s.Chunk} {s.Truncation.ToString().ToLowerInvariant()}, ") +
               Invariant($"{s.Optimizer} lr={s.LearningRate}{clip}, {workers} worker{(workers == 1 ? "" : "s")} {mode}");
    }
}
