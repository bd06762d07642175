using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Core.Training;

/// <summary>What one chunk's step produced: its mean loss, the gradient's L2 norm before clipping,
/// whether clipping changed it, and whether gradient and loss are finite (else it must not be applied).</summary>
public readonly record struct StepOutcome(float Loss, double GradNorm, bool Clipped, bool Finite);

/// <summary>
/// The training step of one chunk, the one loop every trainer shares (workers, experiments, benchmarks):
/// forward and backward (<see cref="BpttEngine"/>) from the carried h, then clip. Applying the gradient is
/// the caller's (a parameter server, or an optimizer in process). Owns the engine and hPrev; not thread-safe.
/// </summary>
public sealed class TrainingStep
{
    private readonly BpttEngine _engine;

    /// <param name="clipNorm">Global L2-norm threshold, or null for none.</param>
    /// <param name="clipValue">Per-element bound applied after the norm clip, or null for none.</param>
    public TrainingStep(ModelSpec spec, TruncationScheme scheme, int batch, int maxChunk, float? clipNorm, float? clipValue = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _engine = new BpttEngine(spec, scheme, batch, maxChunk);
        HPrev = new float[batch * spec.Shape.H];
        ClipNorm = clipNorm;
        ClipValue = clipValue;
    }

    /// <summary>(B×H) the hidden state carried from chunk to chunk.</summary>
    public float[] HPrev { get; }
    public float? ClipNorm { get; }
    public float? ClipValue { get; }

    /// <summary>forward, backward, clip: writes the chunk's clipped gradient into grad (overwritten) and
    /// advances <see cref="HPrev"/>.</summary>
    public StepOutcome Run(ReadOnlySpan<float> w, Chunk chunk, Span<float> grad)
    {
        float loss = _engine.ForwardBackward(w, chunk, HPrev, grad);
        ClipResult clip = ClipNorm is { } c ? GradientClipper.ClipByNorm(grad, c) : Measure(grad);
        bool clipped = clip.Clipped;
        if (clip.Finite && ClipValue is { } v) clipped |= GradientClipper.ClipByValue(grad, v).Clipped;
        return new StepOutcome(loss, clip.NormBefore, clipped, clip.Finite && float.IsFinite(loss));
    }

    /// <summary>The next chunk starts a new sequence for the truncation scheme; h is kept.</summary>
    public void ResetHistory() => _engine.ResetHistory();

    /// <summary>The next chunk starts a stream again: h = 0 and no history.</summary>
    public void ResetState()
    {
        Array.Clear(HPrev);
        _engine.ResetHistory();
    }

    private static ClipResult Measure(ReadOnlySpan<float> grad)
    {
        double norm = GradientClipper.L2Norm(grad);
        return new ClipResult(norm, Clipped: false, Finite: double.IsFinite(norm));
    }
}
