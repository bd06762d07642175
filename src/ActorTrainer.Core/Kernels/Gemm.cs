namespace ActorTrainer.Core.Kernels;

/// <summary>
/// Fast single-precision GEMM, same contract as <see cref="GemmReference.Sgemm"/>.
/// PLACEHOLDER: delegates to the reference until the blocked, vectorised kernel lands.
/// </summary>
public static class Gemm
{
    public static void Sgemm(Transpose ta, Transpose tb, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => GemmReference.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
