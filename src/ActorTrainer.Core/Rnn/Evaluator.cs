using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Core.Rnn;

/// <summary>
/// Forward-only evaluation: the mean per-prediction loss (cross-entropy, or MSE) of a model over
/// held-out data, B streams at a time in chunks of T steps with h carried from chunk to chunk.
/// Owns its workspace; not thread-safe.
/// </summary>
public sealed class Evaluator
{
    private readonly BpttEngine _engine;   // used only through ForwardLoss: no history, no gradient
    private readonly Chunk _chunk;         // (T×B) reused for every chunk
    private readonly float[] _h;           // (B×H) carried state

    public ModelSpec Spec { get; }
    public int B { get; }
    public int T { get; }

    public Evaluator(ModelSpec spec, int batch, int chunkLength)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "B must be positive.");
        if (chunkLength <= 0) throw new ArgumentOutOfRangeException(nameof(chunkLength), chunkLength, "T must be positive.");
        _engine = new BpttEngine(spec, new TruncationScheme.Subsequence(chunkLength), batch, chunkLength);
        Spec = spec; B = batch; T = chunkLength;
        _chunk = spec.Loss == LossKind.SoftmaxCrossEntropy
            ? Chunk.ForTokens(batch, chunkLength)
            : Chunk.Mixed(batch, chunkLength, tokenInputs: true, spec.Shape.V, tokenTargets: false, spec.Shape.O);
        _h = new float[batch * spec.Shape.H];
    }

    /// <summary>
    /// Mean loss over the predictions of B token streams of equal length L ≥ 2: input stream[i], target
    /// stream[i+1] for i &lt; L−1 (cross-entropy; for MSE the target is the one-hot vector of stream[i+1]).
    /// h starts at 0 in every stream.
    /// </summary>
    /// <exception cref="ArgumentException">Not B streams, unequal lengths, L &lt; 2, a token out of range.</exception>
    public double MeanLoss(ReadOnlySpan<float> w, IReadOnlyList<int[]> streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        if (streams.Count != B) throw new ArgumentException($"Expected B={B} streams, got {streams.Count}.", nameof(streams));
        int L = streams[0].Length;
        if (L < 2) throw new ArgumentException($"Streams need at least 2 tokens (one prediction); got {L}.", nameof(streams));
        for (int b = 0; b < B; b++)
            if (streams[b].Length != L)
                throw new ArgumentException($"Stream {b} has length {streams[b].Length}; stream 0 has {L}.", nameof(streams));

        Array.Clear(_h);
        int O = Spec.Shape.O;
        double sum = 0;
        for (int start = 0; start < L - 1; start += T)
        {
            int steps = Math.Min(T, L - 1 - start);
            _chunk.T = steps;
            for (int t = 0; t < steps; t++)
            for (int b = 0; b < B; b++)
            {
                int r = t * B + b, next = streams[b][start + t + 1];
                _chunk.InputTokens![r] = streams[b][start + t];
                if (_chunk.TargetTokens is { } targets) targets[r] = next;
                else
                {
                    if ((uint)next >= (uint)O)
                        throw new ArgumentOutOfRangeException(nameof(streams), next, $"Target token outside [0, O={O}) in stream {b}.");
                    Span<float> y = _chunk.TargetVectors.AsSpan(r * O, O);
                    y.Clear();
                    y[next] = 1f;
                }
            }
            sum += _engine.ForwardLossSum(w, _chunk, _h);
        }
        return sum / ((double)B * (L - 1));
    }

    /// <summary>
    /// Mean loss over all predictions of the given chunks (any input and target kinds, B streams each,
    /// T ≤ this evaluator's T), fed in order with h carried from hPrev (B×H, advanced).
    /// </summary>
    public double MeanLoss(ReadOnlySpan<float> w, IEnumerable<Chunk> chunks, Span<float> hPrev)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        double sum = 0;
        long predictions = 0;
        foreach (Chunk c in chunks)
        {
            sum += _engine.ForwardLossSum(w, c, hPrev);
            predictions += (long)c.B * c.T;
        }
        if (predictions == 0) throw new ArgumentException("No chunks to evaluate.", nameof(chunks));
        return sum / predictions;
    }
}
