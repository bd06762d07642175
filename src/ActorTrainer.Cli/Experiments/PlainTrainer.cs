using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Training;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Cli.Experiments;

/// <summary>What one update did: the chunk's mean loss, the pre-clip gradient norm, whether it was clipped, whether it was applied.</summary>
internal readonly record struct UpdateStats(float Loss, double GradNorm, bool Clipped, bool Applied);

/// <summary>
/// Training in one process, without actors: the shared <see cref="TrainingStep"/> (forward, backward, clip),
/// then apply. Owns W and the optimizer state. A gradient (or loss) that is not finite is never applied.
/// Not thread-safe.
/// </summary>
internal sealed class PlainTrainer
{
    private readonly TrainingStep step;
    private readonly Optimizer optimizer;
    private readonly OptimizerState state;
    private readonly float[] grad;      // (Count) dW of the chunk's mean loss

    public ModelSpec Spec { get; }
    public float[] W { get; }           // (Count) the flat parameters, trained in place
    public float[] HPrev => step.HPrev; // (B×H) state carried from chunk to chunk
    /// <summary>Global-norm clip threshold c, or null for no clipping.</summary>
    public float? ClipNorm => step.ClipNorm;

    public PlainTrainer(ModelSpec spec, float[] w, TruncationScheme scheme, int batch, int maxChunk, Optimizer optimizer, float? clipNorm)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(w);
        if (w.Length != spec.Shape.Count) throw new ArgumentException($"W has length {w.Length}, expected {spec.Shape.Count}", nameof(w));
        Spec = spec;
        W = w;
        step = new TrainingStep(spec, scheme, batch, maxChunk, clipNorm);
        this.optimizer = optimizer;
        state = optimizer.CreateState(w.Length);
        grad = new float[w.Length];
    }

    /// <summary>forward, backward, clip, apply — one update on one chunk.</summary>
    public UpdateStats Step(Chunk chunk)
    {
        StepOutcome o = step.Run(W, chunk, grad);
        if (o.Finite) optimizer.Step(W, grad, state);
        return new UpdateStats(o.Loss, o.GradNorm, o.Clipped, o.Finite);
    }

    /// <summary>The next chunk starts a new sequence for the truncation scheme (KStep/Full forget their stored steps); h is kept.</summary>
    public void ResetHistory() => step.ResetHistory();
}
