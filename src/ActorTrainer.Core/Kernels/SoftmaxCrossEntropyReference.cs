namespace ActorTrainer.Core.Kernels;

/// <summary>
/// The slow, obviously-correct softmax cross-entropy (double accumulation) that
/// <see cref="SoftmaxCrossEntropy"/> is tested against. Same contract.
/// </summary>
public static class SoftmaxCrossEntropyReference
{
    /// <inheritdoc cref="SoftmaxCrossEntropy.ForwardBackward"/>
    public static double ForwardBackward(ReadOnlySpan<float> logits, int m, int o, ReadOnlySpan<int> targets, float scale, Span<float> dlogits)
    {
        SoftmaxCrossEntropy.CheckArgs(logits.Length, m, o, targets);
        if (dlogits.Length < m * o)
            throw new ArgumentException($"dlogits has length {dlogits.Length}, need m·o = {m * o}.", nameof(dlogits));
        double loss = 0;
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<float> y = logits.Slice(r * o, o);     // (o) this row's logits
            Span<float> dy = dlogits.Slice(r * o, o);           // (o) may alias y
            int t = targets[r];
            float max = Max(y);
            double sum = 0;
            for (int j = 0; j < o; j++) sum += Math.Exp((double)y[j] - max);
            loss += Math.Log(sum) - ((double)y[t] - max);      // −log softmax(y)[t]
            for (int j = 0; j < o; j++)                         // ∂L/∂y = softmax(y) − onehot(t)
                dy[j] = (float)((Math.Exp((double)y[j] - max) / sum - (j == t ? 1.0 : 0.0)) * scale);
        }
        return loss;
    }

    /// <inheritdoc cref="SoftmaxCrossEntropy.Loss"/>
    public static double Loss(ReadOnlySpan<float> logits, int m, int o, ReadOnlySpan<int> targets)
    {
        SoftmaxCrossEntropy.CheckArgs(logits.Length, m, o, targets);
        double loss = 0;
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<float> y = logits.Slice(r * o, o);
            float max = Max(y);
            double sum = 0;
            for (int j = 0; j < o; j++) sum += Math.Exp((double)y[j] - max);
            loss += Math.Log(sum) - ((double)y[targets[r]] - max);
        }
        return loss;
    }

    private static float Max(ReadOnlySpan<float> y)
    {
        float max = float.NegativeInfinity;
        foreach (float v in y) max = MathF.Max(max, v); // propagates NaN
        return max;
    }
}
