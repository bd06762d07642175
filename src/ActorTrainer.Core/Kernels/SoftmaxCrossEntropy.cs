namespace ActorTrainer.Core.Kernels;

/// <summary>
/// Fast softmax cross-entropy over the rows of a logits matrix; same results as
/// <see cref="SoftmaxCrossEntropyReference"/> up to float rounding.
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
        => SoftmaxCrossEntropyReference.ForwardBackward(logits, m, o, targets, scale, dlogits);

    /// <summary>Same sum of losses as <see cref="ForwardBackward"/>, no gradient.</summary>
    public static double Loss(ReadOnlySpan<float> logits, int m, int o, ReadOnlySpan<int> targets)
        => SoftmaxCrossEntropyReference.Loss(logits, m, o, targets);

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
