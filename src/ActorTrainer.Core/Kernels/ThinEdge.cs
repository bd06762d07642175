using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// The right edge of C when only a few columns (nr ≤ <see cref="MaxColumns"/>) remain, e.g. column 64 of
/// Y = Hs·Whyᵀ with O = 65. A full 8×32 tile would spend 32 columns of work on them; here each column is
/// a ymm of 8 rows accumulated down the packed A panel: acc += A[p, 0..8] · B[p, j].
/// </summary>
internal static unsafe class ThinEdge
{
    /// <summary>Widest edge worth doing column by column (a column here costs more than a full-tile column).</summary>
    public const int MaxColumns = 8;

    /// <summary>
    /// C[i·ldc + j] = α·Σ_p a[p·8 + i]·b[p·bStride + j] + β·C (β = 0 does not read C) for i &lt; mr ≤ 8,
    /// j &lt; nr. <paramref name="a"/> is a packed A panel of height 8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run8(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        for (int j = 0; j < nr; j++)
        {
            // four independent sums over p hide the FMA latency
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* bj = b + j;
            int p = 0;
            for (; p <= kc - 4; p += 4)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + p * 8), Vector256.Create(bj[p * bStride]), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + p * 8 + 8), Vector256.Create(bj[(p + 1) * bStride]), s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(a + p * 8 + 16), Vector256.Create(bj[(p + 2) * bStride]), s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Load(a + p * 8 + 24), Vector256.Create(bj[(p + 3) * bStride]), s3);
            }
            for (; p < kc; p++)                                                  // last kc mod 4 steps
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + p * 8), Vector256.Create(bj[p * bStride]), s0);
            var column = (s0 + s1 + (s2 + s3)) * Vector256.Create(alpha);      // C[0..8, j] before β
            for (int i = 0; i < mr; i++)
                c[i * ldc + j] = beta == 0f ? column.GetElement(i) : column.GetElement(i) + beta * c[i * ldc + j];
        }
    }
}
