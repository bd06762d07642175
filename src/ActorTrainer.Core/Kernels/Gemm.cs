using System.Runtime.CompilerServices;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// Fast single-precision GEMM, same contract as <see cref="GemmReference.Sgemm"/>:
/// row-major C (m×n) = α·op(A)·op(B) + β·C, op(A) m×k, op(B) k×n; A stored m×k (k×m when
/// transposed) with row stride lda ≥ its row length, likewise B; β = 0 never reads C.
/// Single-threaded, allocation-free after a thread's first call (packing buffers are per thread).
/// <list type="bullet">
/// <item>m = 1: <see cref="Gemv"/>, B streamed once, no packing (bandwidth-bound).</item>
/// <item>otherwise <see cref="GemmBlocked"/>: GotoBLAS-style blocking and packing around an AVX-512
/// 8×32, AVX2+FMA 6×16 or scalar 4×4 micro-kernel; for m ≤ 48 a non-transposed B is read in place.</item>
/// </list>
/// For the recurrent step C += hPrev·Whhᵀ with small B, transposing Whh into packed panels is a
/// noticeable share of each call; a caller that keeps a transposed copy of Whh (once per weights
/// version) and calls (No, No) instead avoids it.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>
    /// C (m×n) = α·op(A)·op(B) + β·C. Throws <see cref="ArgumentOutOfRangeException"/> for negative
    /// sizes or a leading dimension shorter than its row, <see cref="ArgumentException"/> when a span
    /// is shorter than the matrix it must hold.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sgemm(Transpose ta, Transpose tb, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm(GemmIsas.Best, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>As the public overload, forced onto one instruction set (tests run every path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Sgemm(GemmIsa isa, Transpose ta, Transpose tb, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(ta, tb, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (!GemmIsas.IsSupported(isa))
            throw new PlatformNotSupportedException($"GEMM path {isa} does not run on this CPU.");
        if (m == 0 || n == 0) return;

        fixed (float* pa = a, pb = b, pc = c)
        {
            if (k == 0) { ScaleC(m, n, beta, pc, ldc); return; }
            if (m == 1 && isa != GemmIsa.Scalar)
            {
                Gemv.Run(isa, ta, tb, n, k, alpha, pa, lda, pb, ldb, beta, pc);
                return;
            }
            switch (isa)
            {
                case GemmIsa.Avx512: GemmBlocked.Run<Avx512Kernel>(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc); break;
                case GemmIsa.Avx2: GemmBlocked.Run<Avx2Kernel>(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc); break;
                default: GemmBlocked.Run<ScalarKernel>(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc); break;
            }
        }
    }

    /// <summary>k = 0: op(A)·op(B) is empty, C ← β·C (β = 0 clears without reading).</summary>
    private static void ScaleC(int m, int n, float beta, float* c, nint ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    private static void Validate(Transpose ta, Transpose tb, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        (int aRows, int aCols) = ta == Transpose.No ? (m, k) : (k, m);
        (int bRows, int bCols) = tb == Transpose.No ? (k, n) : (n, k);
        CheckMatrix("a", aRows, aCols, aLength, lda, nameof(lda));
        CheckMatrix("b", bRows, bCols, bLength, ldb, nameof(ldb));
        CheckMatrix("c", m, n, cLength, ldc, nameof(ldc));
    }

    private static void CheckMatrix(string name, int rows, int cols, int length, int ld, string ldName)
    {
        if (ld < cols)
            throw new ArgumentOutOfRangeException(ldName, ld, $"Leading dimension of {name} must be at least its row length {cols}.");
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"{name} has length {length}, but a {rows}×{cols} matrix with leading dimension {ld} needs {needed}.", name);
    }
}
