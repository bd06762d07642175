using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// Single-precision e^x on zmm registers for the fused softmax rows of <see cref="SoftmaxCrossEntropy"/>.
/// Faster than Vector512.Exp, which evaluates in double (docs/decisions.md#softmax). Callers check
/// <see cref="IsSupported"/> and otherwise use TensorPrimitives.
/// </summary>
internal static class FastMath
{
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>
    /// e^x to ~2 ulp (Cephes expf): x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial,
    /// then ·2ⁿ by vscalefps, which also makes large x overflow to +∞. Results below the smallest
    /// normal float (x &lt; −87.3) are flushed to 0: denormals would cost a microcode assist each
    /// (docs/decisions.md#softmax). NaN propagates.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var tiny = Vector512.LessThan(x, Vector512.Create(-87.3f));                    // e^x < 2⁻¹²⁶ (false for NaN)
        // clamp so r stays finite and the result normal (e^89 already overflows); x86 min/max return
        // their second operand when either is NaN, so NaN passes through
        x = Avx512F.Min(Vector512.Create(89f), Avx512F.Max(Vector512.Create(-87.3f), x));
        var n = Vector512.Round(x * Vector512.Create(1.44269504088896341f));          // round(x / ln2)
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);    // x − n·ln2, ln2 in two parts
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        var er = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;     // e^r = 1 + r + r²·p(r)
        return Vector512.ConditionalSelect(tiny, Vector512<float>.Zero, Avx512F.Scale(er, n)); // e^r · 2ⁿ
    }
}
