using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// Fast softmax cross-entropy over the rows of a logits matrix; same results as
/// <see cref="SoftmaxCrossEntropyReference"/> up to float rounding. On AVX-512 each row is one fused
/// pass per step with <see cref="FastMath.Exp"/>; elsewhere five TensorPrimitives passes (max, subtract,
/// exp, sum, scale); short rows make per-call overhead dominate (docs/decisions.md#softmax). Only the
/// per-row loss is accumulated in double.
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
        bool fused = FastMath.IsSupported;
        CheckArgs(logits.Length, m, o, targets);
        if (dlogits.Length < m * o)
            throw new ArgumentException($"dlogits has length {dlogits.Length}, need m·o = {m * o}.", nameof(dlogits));
        double loss = 0;
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<float> y = logits.Slice(r * o, o);                // (o) this row's logits
            Span<float> dy = dlogits.Slice(r * o, o);                      // (o) may be y itself
            loss += fused ? Row512(y, targets[r], scale, dy, gradient: true) : RowPortable(y, targets[r], scale, dy);
        }
        return loss;
    }

    /// <summary>Same sum of losses as <see cref="ForwardBackward"/>, no gradient.</summary>
    public static double Loss(ReadOnlySpan<float> logits, int m, int o, ReadOnlySpan<int> targets)
    {
        bool fused = FastMath.IsSupported;
        CheckArgs(logits.Length, m, o, targets);
        double loss = 0;
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<float> y = logits.Slice(r * o, o);
            loss += fused ? Row512(y, targets[r], 0f, default, gradient: false) : LossRowPortable(y, targets[r]);
        }
        return loss;
    }

    /// <summary>One row as TensorPrimitives passes: max, subtract, exp, sum, scale. Returns −log softmax(y)[t].</summary>
    private static double RowPortable(ReadOnlySpan<float> y, int t, float scale, Span<float> dy)
    {
        float max = TensorPrimitives.Max(y);
        float yt = y[t];                                                   // read before dy (may be y) is written
        TensorPrimitives.Subtract(y, max, dy);
        TensorPrimitives.Exp(dy, dy);                                      // e^(y−max) ∈ (0, 1]
        float sum = TensorPrimitives.Sum(dy);
        TensorPrimitives.Multiply(dy, scale / sum, dy);                    // softmax(y)·scale
        dy[t] -= scale;                                                    // − onehot(t)·scale
        return Math.Log(sum) - ((double)yt - max);                         // −log softmax(y)[t]
    }

    /// <summary>The loss of one row without a destination: e^(y−max) summed 256 at a time through the stack.</summary>
    private static double LossRowPortable(ReadOnlySpan<float> y, int t)
    {
        const int chunk = 256;
        Span<float> e = stackalloc float[chunk];
        float max = TensorPrimitives.Max(y);
        double sum = 0;
        for (int j = 0; j < y.Length; j += chunk)
        {
            ReadOnlySpan<float> part = y.Slice(j, Math.Min(chunk, y.Length - j));
            Span<float> ep = e[..part.Length];
            TensorPrimitives.Subtract(part, max, ep);
            TensorPrimitives.Exp(ep, ep);
            sum += TensorPrimitives.Sum(ep);
        }
        return Math.Log(sum) - ((double)y[t] - max);
    }

    /// <summary>
    /// One row in one fused pass per step (AVX-512): max, then e^(y−max) written to dy and summed, then dy
    /// scaled; returns −log softmax(y)[t]. The last o mod 16 logits ride in one extra vector whose other
    /// lanes are −∞ (contributing e^−∞ = 0): the overlapping window y[o−16, o) with its already-counted
    /// lanes replaced, or for o &lt; 16 a padded copy. A NaN logit makes the sum and the loss NaN.
    /// </summary>
    private static double Row512(ReadOnlySpan<float> y, int t, float scale, Span<float> dy, bool gradient)
    {
        ref float yr = ref MemoryMarshal.GetReference(y);
        int o = y.Length, full = o & ~15, rem = o - full, skip = 16 - rem;    // tail lanes: skip … 15
        Vector512<float> tail;                                                 // (16) −∞ …, y[full..o]
        if (o >= 16)
        {
            var window = Vector512.LoadUnsafe(ref yr, (nuint)(o - 16));
            tail = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(skip)).AsSingle(),
                window, Vector512.Create(float.NegativeInfinity));
        }
        else
        {
            Span<float> pad = stackalloc float[16];
            pad.Fill(float.NegativeInfinity);
            y.CopyTo(pad[skip..]);
            tail = Vector512.Create((ReadOnlySpan<float>)pad);
        }

        var vmax = tail;
        for (int j = 0; j < full; j += 16) vmax = Avx512F.Max(vmax, Vector512.LoadUnsafe(ref yr, (nuint)j));
        float max = MaxAcross(vmax);
        float yt = y[t];                                                       // read before dy (may be y) is written

        var vm = Vector512.Create(max);
        var vsum = Vector512<float>.Zero;
        ref float dr = ref MemoryMarshal.GetReference(dy);
        for (int j = 0; j < full; j += 16)
        {
            var e = FastMath.Exp(Vector512.LoadUnsafe(ref yr, (nuint)j) - vm);   // e^(y−max) ∈ (0, 1]
            if (gradient) e.StoreUnsafe(ref dr, (nuint)j);
            vsum += e;
        }
        var et = FastMath.Exp(tail - vm);
        vsum += et;
        float sum = Vector512.Sum(vsum);
        if (gradient)
        {
            var f = Vector512.Create(scale / sum);
            for (int j = 0; j < full; j += 16)                                 // softmax(y)·scale
                (Vector512.LoadUnsafe(ref dr, (nuint)j) * f).StoreUnsafe(ref dr, (nuint)j);
            for (int j = 0; j < rem; j++) dy[full + j] = et.GetElement(skip + j) * (scale / sum);
            dy[t] -= scale;                                                    // − onehot(t)·scale
        }
        return Math.Log(sum) - ((double)yt - max);                             // −log softmax(y)[t]
    }

    private static float MaxAcross(Vector512<float> v)
    {
        var m8 = Vector256.Max(v.GetLower(), v.GetUpper());
        var m4 = Vector128.Max(m8.GetLower(), m8.GetUpper());
        return MathF.Max(MathF.Max(m4.GetElement(0), m4.GetElement(1)), MathF.Max(m4.GetElement(2), m4.GetElement(3)));
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
