using System.Globalization;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Cli.Training;

namespace ActorTrainer.Cli.Cluster;

/// <summary>The <see cref="RunFingerprint"/> of a run set up on this node.</summary>
public static class ClusterFingerprint
{
    public static RunFingerprint Of(RunSetup setup, long maximumFrameSize)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var s = setup.Settings;
        string clipNorm = s.ClipNorm is { } c ? c.ToString(CultureInfo.InvariantCulture) : "none";
        string clipValue = s.ClipValue is { } v ? v.ToString(CultureInfo.InvariantCulture) : "none";
        string training = $"truncation={s.Truncation.ToString().ToLowerInvariant()},mode={s.Mode.ToString().ToLowerInvariant()}," +
                          $"staleness={s.Staleness.ToString(CultureInfo.InvariantCulture)},clip-norm={clipNorm},clip-value={clipValue}," +
                          $"push-encoding={s.PushEncoding},weights-encoding={s.WeightsEncoding.ToString().ToLowerInvariant()},local-steps={s.LocalSteps.ToString(CultureInfo.InvariantCulture)}";
        return new RunFingerprint(
            ModelFingerprint.Of(setup.Spec), setup.Vocabulary.ToJson(), setup.Corpus.TrainTokens.Length,
            s.Batch, s.Chunk, training, maximumFrameSize);
    }
}
