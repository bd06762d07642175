using ActorTrainer.Core.Compression;
using ActorTrainer.Core.Optim;

namespace ActorTrainer.Actors.Worker;

/// <summary>
/// What a worker carries from push to push besides W: its encoder (top-k: the residual not yet sent)
/// and its local optimizer's state. It belongs to the worker's streams for the whole run, like h: a
/// host that runs a training in segments (train's validation segments) passes the same one to each
/// segment's worker, so an in-process run pushes what a cluster slot, hosted for the whole run, pushes.
/// Not thread-safe: one worker at a time owns it.
/// </summary>
public sealed class PushState
{
    public PushState(WorkerSettings settings, int parameterCount)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Encoder = settings.Encoding.CreateEncoder(parameterCount);
        LocalOptimizerState = GradientEncoding.PushesDeltas(settings.Encoding, settings.LocalSteps)
            ? settings.LocalOptimizer!.CreateState(parameterCount) : null;
        ParameterCount = parameterCount;
    }

    public int ParameterCount { get; }
    public IGradientEncoder Encoder { get; }
    /// <summary>The local optimizer's state when the worker pushes changes of W; null otherwise.</summary>
    public OptimizerState? LocalOptimizerState { get; }
}
