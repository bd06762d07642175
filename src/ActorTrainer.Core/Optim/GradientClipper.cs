using System.Numerics.Tensors;

namespace ActorTrainer.Core.Optim;

/// <summary>
/// Gradient clipping over one flat gradient (or one shard of it — but note the norm is then the
/// shard's, not the global one). Both methods report the pre-clip norm and refuse non-finite gradients.
/// </summary>
public static class GradientClipper
{
    /// <summary>
    /// Clip by global L2 norm: ‖g‖ = √Σ gᵢ² (accumulated in double); when ‖g‖ &gt; c, g ← g·c/‖g‖
    /// (direction kept, norm becomes c up to float rounding). A non-finite g is left untouched and
    /// reported with Finite = false. ArgumentOutOfRangeException when c is not finite or not &gt; 0.
    /// </summary>
    public static ClipResult ClipByNorm(Span<float> g, float c)
    {
        ValidateThreshold(c);
        double norm = L2Norm(g);
        if (!double.IsFinite(norm)) return new ClipResult(norm, Clipped: false, Finite: false);
        if (norm <= c) return new ClipResult(norm, Clipped: false, Finite: true);
        TensorPrimitives.Multiply(g, (float)(c / norm), g);
        return new ClipResult(norm, Clipped: true, Finite: true);
    }

    /// <summary>
    /// Clip by value: gᵢ ← min(max(gᵢ, −c), c). NormBefore is the L2 norm before clipping; Clipped
    /// says whether any element was outside [−c, c]. A non-finite g is left untouched and reported with
    /// Finite = false. ArgumentOutOfRangeException when c is not finite or not &gt; 0.
    /// </summary>
    public static ClipResult ClipByValue(Span<float> g, float c)
    {
        ValidateThreshold(c);
        double norm = L2Norm(g);
        if (!double.IsFinite(norm)) return new ClipResult(norm, Clipped: false, Finite: false);
        bool clipped = !g.IsEmpty && Math.Abs(TensorPrimitives.MaxMagnitude(g)) > c; // MaxMagnitude keeps the sign
        if (clipped)
        {
            TensorPrimitives.Min(g, c, g);
            TensorPrimitives.Max(g, -c, g);
        }
        return new ClipResult(norm, clipped, Finite: true);
    }

    /// <summary>
    /// √Σ gᵢ², accumulated in double (float squares summed in float lose digits for large models).
    /// NaN if any gᵢ is NaN, +∞ if any is ±∞ (and none NaN).
    /// </summary>
    public static double L2Norm(ReadOnlySpan<float> g)
    {
        // Four independent accumulators so the adds pipeline; the tail is summed into s0.
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i <= g.Length - 4; i += 4)
        {
            double a = g[i], b = g[i + 1], c = g[i + 2], d = g[i + 3];
            s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d;
        }
        for (; i < g.Length; i++) { double a = g[i]; s0 += a * a; }
        return Math.Sqrt(s0 + s1 + s2 + s3);
    }

    private static void ValidateThreshold(float c)
    {
        if (!float.IsFinite(c) || c <= 0)
            throw new ArgumentOutOfRangeException(nameof(c), c, "clip threshold must be finite and > 0");
    }
}
