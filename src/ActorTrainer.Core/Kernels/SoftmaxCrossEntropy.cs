using System.Numerics.Tensors;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// Fast softmax cross-entropy over the rows of a logits matrix; same results as
/// <see cref="SoftmaxCrossEntropyReference"/> up to float rounding. Each row is a few TensorPrimitives
/// passes (max, subtract, exp, sum, scale); only the per-row loss is accumulated in double.
/// </summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>
    /// logits (m×o) row-major; targets (m) class indices in [0, o). Writes
    /// dlogits = (softmax(row) − onehot(target))·scale (dlogits may alias logits).
    /// Returns Σ_rows −log softmax(row)[target] in double. Numerically stable (max-subtract).
    /// Throws <see cref="ArgumentOutOfRangeException"/> for a target outside [0, o),
    /// <see cref="ArgumentException"/> when a span is shorter than its shape.
    /// </summary>
    public static double ForwardBackward(ReadOnlySpan<float> logits, int m, int o, ReadOnlySpan<int> targets, float scale, Span<float> dlogits)
    {
        CheckArgs(logits.Length, m, o, targets);
        if (dlogits.Length < m * o)
            throw new ArgumentException($"dlogits has length {dlogits.Length}, need m·o = {m * o}.", nameof(dlogits));
        double loss = 0;
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<float> y = logits.Slice(r * o, o);                // (o) this row's logits
            Span<float> dy = dlogits.Slice(r * o, o);                      // (o) may be y itself
            int t = targets[r];
            float max = TensorPrimitives.Max(y);
            float yt = y[t];                                               // read before dy overwrites it
            TensorPrimitives.Subtract(y, max, dy);
            TensorPrimitives.Exp(dy, dy);                                  // e^(y−max) ∈ (0, 1]
            float sum = TensorPrimitives.Sum(dy);
            loss += Math.Log(sum) - ((double)yt - max);                    // −log softmax(y)[t]
            TensorPrimitives.Multiply(dy, scale / sum, dy);                // softmax(y)·scale
            dy[t] -= scale;                                                // − onehot(t)·scale
        }
        return loss;
    }

    /// <summary>Same sum of losses as <see cref="ForwardBackward"/>, no gradient.</summary>
    public static double Loss(ReadOnlySpan<float> logits, int m, int o, ReadOnlySpan<int> targets)
    {
        CheckArgs(logits.Length, m, o, targets);
        const int chunk = 256;
        Span<float> e = stackalloc float[Math.Min(chunk, o)];             // e^(y−max) for one chunk of a row
        double loss = 0;
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<float> y = logits.Slice(r * o, o);
            float max = TensorPrimitives.Max(y);
            double sum = 0;
            for (int j = 0; j < o; j += chunk)
            {
                ReadOnlySpan<float> part = y.Slice(j, Math.Min(chunk, o - j));
                Span<float> ep = e[..part.Length];
                TensorPrimitives.Subtract(part, max, ep);
                TensorPrimitives.Exp(ep, ep);
                sum += TensorPrimitives.Sum(ep);
            }
            loss += Math.Log(sum) - ((double)y[targets[r]] - max);
        }
        return loss;
    }

    internal static void CheckArgs(int logitsLength, int m, int o, ReadOnlySpan<int> targets)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        if (o < 1) throw new ArgumentOutOfRangeException(nameof(o), o, "Need at least one class.");
        if (logitsLength < (long)m * o)
            throw new ArgumentException($"logits has length {logitsLength}, need m·o = {(long)m * o}.", "logits");
        if (targets.Length < m)
            throw new ArgumentException($"targets has length {targets.Length}, need m = {m}.", nameof(targets));
        for (int r = 0; r < m; r++)
            if ((uint)targets[r] >= (uint)o)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[r], $"Target of row {r} is {targets[r]}, outside [0, {o}).");
    }
}
