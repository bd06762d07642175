namespace ActorTrainer.Core.Kernels;

/// <summary>
/// The slow, obviously-correct single-precision GEMM that the fast <see cref="Gemm"/> is tested against.
/// Row-major: C (m×n) = α·op(A)·op(B) + β·C, op(A) is m×k, op(B) is k×n.
/// A is stored m×k with row stride lda (or k×m when transposed); likewise B (k×n, or n×k when transposed).
/// β = 0 overwrites C without reading it (NaN in C does not propagate).
/// </summary>
public static class GemmReference
{
    public static void Sgemm(Transpose ta, Transpose tb, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int p = 0; p < k; p++)
            {
                float av = ta == Transpose.No ? a[i * lda + p] : a[p * lda + i];
                float bv = tb == Transpose.No ? b[p * ldb + j] : b[j * ldb + p];
                s += (double)av * bv;
            }
            float prev = beta == 0f ? 0f : beta * c[i * ldc + j];
            c[i * ldc + j] = (float)(alpha * s) + prev;
        }
    }
}
