namespace ActorTrainer.Core.Kernels;

/// <summary>
/// A register-blocked GEMM micro-kernel: one MR×NR tile of C from a packed A panel and a B panel.
/// Implemented by structs so <see cref="GemmBlocked"/> is specialised (and inlined) per ISA.
/// </summary>
internal unsafe interface IMicroKernel
{
    /// <summary>Rows of the C tile (A panel height).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the C tile (B panel width).</summary>
    static abstract int NR { get; }

    /// <summary>Whether packing may use AVX registers too (false keeps the scalar path portable).</summary>
    static abstract bool Simd { get; }

    /// <summary>
    /// acc(MR×NR) = Σ_p a[p·MR + i] · b[p·bStride + j] over p &lt; kc; then for rows i &lt; mr:
    /// C[i·ldc + j] = α·acc + β·C (β = 0 does not read C; β = 1 adds). All NR columns are stored.
    /// </summary>
    static abstract void Run(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float alpha, float beta, int mr);
}
