using ActorTrainer.Core.Compression;
using ActorTrainer.Core.Optim;

namespace ActorTrainer.Actors.Worker;

/// <summary>
/// What a worker carries from push to push besides W: its encoder (top-k: the residual not yet sent)
/// and its local optimizer's state, for the whole run (not checkpointed: a resumed run or a moved slot
/// starts them anew). Not thread-safe: its worker owns it.
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
