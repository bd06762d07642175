using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Cli.Experiments;

/// <summary>What one update did: the chunk's mean loss, the pre-clip gradient norm, whether it was clipped, whether it was applied.</summary>
internal readonly record struct UpdateStats(float Loss, double GradNorm, bool Clipped, bool Applied);

/// <summary>
/// The training loop's verbs in one process, without actors: forward+backward (the engine), clip, apply.
/// Owns W, the carried state hPrev (B×H) and the optimizer state. A gradient (or loss) that is not finite is
/// never applied. Not thread-safe.
/// </summary>
internal sealed class PlainTrainer
{
    private readonly BpttEngine engine;
    private readonly Optimizer optimizer;
    private readonly OptimizerState state;
    private readonly float[] grad;      // (Count) dW of the chunk's mean loss

    public ModelSpec Spec { get; }
    public float[] W { get; }           // (Count) the flat parameters, trained in place
    public float[] HPrev { get; }       // (B×H) state carried from chunk to chunk
    /// <summary>Global-norm clip threshold c, or null for no clipping.</summary>
    public float? ClipNorm { get; }

    public PlainTrainer(ModelSpec spec, float[] w, TruncationScheme scheme, int batch, int maxChunk, Optimizer optimizer, float? clipNorm)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(w);
        if (w.Length != spec.Shape.Count) throw new ArgumentException($"W has length {w.Length}, expected {spec.Shape.Count}", nameof(w));
        Spec = spec;
        W = w;
        engine = new BpttEngine(spec, scheme, batch, maxChunk);
        this.optimizer = optimizer;
        state = optimizer.CreateState(w.Length);
        grad = new float[w.Length];
        HPrev = new float[batch * spec.Shape.H];
        ClipNorm = clipNorm;
    }

    /// <summary>forward, backward, clip, apply — one update on one chunk.</summary>
    public UpdateStats Step(Chunk chunk)
    {
        float loss = engine.ForwardBackward(W, chunk, HPrev, grad);
        ClipResult clip = ClipNorm is { } c ? GradientClipper.ClipByNorm(grad, c) : Measure(grad);
        bool apply = clip.Finite && float.IsFinite(loss);
        if (apply) optimizer.Step(W, grad, state);
        return new UpdateStats(loss, clip.NormBefore, clip.Clipped, apply);
    }

    /// <summary>The next chunk starts a new sequence for the truncation scheme (KStep/Full forget their stored steps); h is kept.</summary>
    public void ResetHistory() => engine.ResetHistory();

    private static ClipResult Measure(ReadOnlySpan<float> g)
    {
        double norm = GradientClipper.L2Norm(g);
        return new ClipResult(norm, Clipped: false, Finite: double.IsFinite(norm));
    }
}
