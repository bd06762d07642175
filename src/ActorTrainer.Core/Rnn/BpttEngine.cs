using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Core.Rnn;

/// <summary>
/// CONTRACT STUB (to be implemented): the fast float forward/backward over chunks of B streams.
/// One engine per worker; owns all workspace buffers (no allocation per step or per chunk);
/// not thread-safe.
/// </summary>
public sealed class BpttEngine
{
    public ModelSpec Spec { get; }
    public TruncationScheme Scheme { get; }
    public int B { get; }
    public int MaxT { get; }

    public BpttEngine(ModelSpec spec, TruncationScheme scheme, int batch, int maxChunk)
    {
        Spec = spec; Scheme = scheme; B = batch; MaxT = maxChunk;
    }

    /// <summary>
    /// Runs the chunk forward from hPrev (B×H, overwritten with the chunk's last h), then backward
    /// according to the scheme's f(t), where t counts steps since the last <see cref="ResetHistory"/>.
    /// Subsequence: h entering the chunk is a constant. KStep/Full: the gradient of each L_t reaches
    /// back into earlier chunks' stored steps (evaluated with the activations stored then).
    /// Writes into grad (length Spec.Shape.Count, overwritten) the gradient of the MEAN loss over
    /// the chunk's B·T predictions; returns that mean loss.
    /// </summary>
    public float ForwardBackward(ReadOnlySpan<float> w, Chunk chunk, Span<float> hPrev, Span<float> grad)
        => throw new NotImplementedException();

    /// <summary>Forward only (evaluation): returns the mean loss, advances hPrev; touches no history.</summary>
    public float ForwardLoss(ReadOnlySpan<float> w, Chunk chunk, Span<float> hPrev)
        => throw new NotImplementedException();

    /// <summary>Starts a new sequence: step counter to 0, cross-chunk history forgotten.</summary>
    public void ResetHistory() => throw new NotImplementedException();
}
