using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// What a sweep trains: the model and data behind every configuration. Each call gives fresh objects
/// (computers carry hidden state and data positions, rules carry optimizer state), so configurations
/// never share state and all start from the same W.
/// </summary>
public interface IScaleTarget
{
    /// <summary>One line for the summary: corpus, model, optimizer.</summary>
    string Description { get; }

    /// <summary>Shape string workers and server agree on.</summary>
    string ModelShape { get; }

    /// <summary>P, the length of W.</summary>
    int ParameterCount { get; }

    /// <summary>Name of the server's optimizer (for the capacity measurement).</summary>
    string Optimizer { get; }

    /// <summary>W at version 0, the same for every call.</summary>
    float[] InitialWeights();

    /// <summary>Computers for n workers with chunk length k (worker i owns streams i·B … i·B+B−1).</summary>
    IReadOnlyList<IGradientComputer> CreateComputers(int workers, int chunk);

    /// <summary>A fresh update rule (shardable, so any shard count works).</summary>
    IUpdateRule CreateUpdateRule();

    /// <summary>A model checkpoint of this model (a cluster run's snapshots: W and the run's metadata, e.g.
    /// "updates" and "version"); UsageException if it does not fit.</summary>
    Core.Checkpoints.ModelCheckpointData ReadCheckpoint(string checkpointPath);

    /// <summary>Validation loss of W (nats per prediction); evaluated between or after runs, never timed.</summary>
    double ValidationLoss(ReadOnlySpan<float> w);
}
