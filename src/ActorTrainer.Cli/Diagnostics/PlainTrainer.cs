using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Cli.Diagnostics;

/// <summary>What one update did: the chunk's mean loss, the pre-clip gradient norm, whether it was clipped or skipped.</summary>
internal readonly record struct UpdateRecord(float Loss, double NormBefore, bool Clipped, bool Applied);

/// <summary>
/// The single-process training loop the experiments use, four verbs top to bottom:
/// forward+backward (engine), clip (global L2 norm, optional), apply (optimizer). A non-finite gradient is never
/// applied. Owns W (flat, see ModelShape), the gradient buffer and the optimizer state; not thread-safe.
/// </summary>
internal sealed class PlainTrainer
{
    private readonly BpttEngine engine;
    private readonly Optimizer optimizer;
    private readonly OptimizerState state;
    private readonly float[] grad;   // (|W|)
    private readonly double clip;    // c; +∞ = no clipping

    public float[] W { get; }
    public float[] HPrev { get; }    // (B×H) state carried between chunks

    public PlainTrainer(ModelSpec spec, float[] w, TruncationScheme scheme, int batch, int maxChunk, Optimizer optimizer, double clipNorm)
    {
        if (!(clipNorm > 0)) throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, "clip threshold c must be > 0 (use +∞ for no clipping)");
        engine = new BpttEngine(spec, scheme, batch, maxChunk);
        this.optimizer = optimizer;
        state = optimizer.CreateState(w.Length);
        grad = new float[w.Length];
        clip = clipNorm;
        W = w;
        HPrev = new float[batch * spec.Shape.H];
    }

    /// <summary>Starts a new sequence: h = 0 and the engine forgets its cross-chunk history.</summary>
    public void StartSequence()
    {
        Array.Clear(HPrev);
        engine.ResetHistory();
    }

    /// <summary>One update on chunk (which continues the current sequence).</summary>
    public UpdateRecord Update(Chunk chunk)
    {
        float loss = engine.ForwardBackward(W, chunk, HPrev, grad);               // forward, backward
        var r = double.IsPositiveInfinity(clip) ? Unclipped(GradientClipper.L2Norm(grad))
            : GradientClipper.ClipByNorm(grad, (float)clip);                          // clip
        if (!r.Finite || !float.IsFinite(loss)) return new UpdateRecord(loss, r.NormBefore, r.Clipped, Applied: false);
        optimizer.Step(W, grad, state);                                               // apply
        return new UpdateRecord(loss, r.NormBefore, r.Clipped, Applied: true);
    }

    private static ClipResult Unclipped(double norm) => new(norm, Clipped: false, Finite: double.IsFinite(norm));
}
