namespace ActorTrainer.Core.Rnn;

/// <summary>
/// TEMPORARY stand-ins with the contracts of Kernels.Activations and Kernels.SoftmaxCrossEntropy
/// (being written on the kernels branch). Delete this file and call those once they land on main.
/// </summary>
internal static class PendingKernels
{
    /// <summary>h = φ(a) elementwise; a and h may be the same span.</summary>
    public static void ActivationForward(Activation phi, ReadOnlySpan<float> a, Span<float> h)
    {
        for (int i = 0; i < a.Length; i++)
            h[i] = phi switch
            {
                Activation.Tanh => MathF.Tanh(a[i]),
                Activation.Relu => MathF.Max(a[i], 0f),
                _ => a[i],
            };
    }

    /// <summary>da = dh ⊙ φ'(a), φ' from h = φ(a); da may alias dh.</summary>
    public static void ActivationBackward(Activation phi, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> da)
    {
        for (int i = 0; i < h.Length; i++)
            da[i] = phi switch
            {
                Activation.Tanh => dh[i] * (1f - h[i] * h[i]),
                Activation.Relu => h[i] > 0f ? dh[i] : 0f * dh[i],
                _ => dh[i],
            };
    }

    /// <summary>dlogits = (softmax − onehot)·scale per row; returns Σ_rows −log softmax[target].</summary>
    public static double SoftmaxCrossEntropy(ReadOnlySpan<float> logits, int m, int o, ReadOnlySpan<int> targets, float scale, Span<float> dlogits, bool withGrad)
    {
        double loss = 0;
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<float> y = logits.Slice(r * o, o);
            int t = targets[r];
            if ((uint)t >= (uint)o)
                throw new ArgumentOutOfRangeException(nameof(targets), t, $"Target of row {r} is {t}, outside [0, {o}).");
            float max = float.NegativeInfinity;
            foreach (float v in y) max = MathF.Max(max, v);
            double sum = 0;
            for (int j = 0; j < o; j++) sum += Math.Exp((double)y[j] - max);
            loss += Math.Log(sum) - ((double)y[t] - max);
            if (!withGrad) continue;
            Span<float> dy = dlogits.Slice(r * o, o);
            for (int j = 0; j < o; j++)
                dy[j] = (float)((Math.Exp((double)y[j] - max) / sum - (j == t ? 1.0 : 0.0)) * scale);
        }
        return loss;
    }
}
