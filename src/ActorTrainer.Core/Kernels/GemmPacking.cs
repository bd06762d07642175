namespace ActorTrainer.Core.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous, zero-padded panels the micro-kernels stream
/// (GotoBLAS/BLIS packing). Packed A: panels of MR rows, each kc×MR with p outermost (Ap[p·MR + r]).
/// Packed B: panels of NR columns, each kc×NR (Bp[p·NR + j]).
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Ap ← α·op(A)[i0 : i0+mc, p0 : p0+kc] as ⌈mc/MR⌉ panels of (kc×MR); rows past mc are zero.
    /// </summary>
    public static void PackA(Transpose ta, float* a, nint lda, int i0, int mc, int p0, int kc, float alpha, int mr, float* ap)
    {
        for (int ir = 0; ir < mc; ir += mr, ap += mr * kc)
        {
            int rows = Math.Min(mr, mc - ir);
            if (ta == Transpose.No)
            {
                // op(A)[i, p] = a[i·lda + p]: read each row contiguously, write with stride MR.
                for (int r = 0; r < rows; r++)
                {
                    float* src = a + (i0 + ir + r) * lda + p0;
                    for (int p = 0; p < kc; p++) ap[p * mr + r] = alpha * src[p];
                }
            }
            else
            {
                // op(A)[i, p] = a[p·lda + i]: each p holds the panel's rows contiguously.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (p0 + p) * lda + i0 + ir;
                    for (int r = 0; r < rows; r++) ap[p * mr + r] = alpha * src[r];
                }
            }
            for (int r = rows; r < mr; r++)
                for (int p = 0; p < kc; p++) ap[p * mr + r] = 0f;
        }
    }

    /// <summary>
    /// Bp ← op(B)[p0 : p0+kc, j0 : j0+nc] as ⌈nc/NR⌉ panels of (kc×NR); columns past nc are zero.
    /// </summary>
    public static void PackB(Transpose tb, float* b, nint ldb, int p0, int kc, int j0, int nc, int nr, float* bp)
    {
        for (int jr = 0; jr < nc; jr += nr, bp += nr * kc)
        {
            int cols = Math.Min(nr, nc - jr);
            if (tb == Transpose.No)
            {
                // op(B)[p, j] = b[p·ldb + j]: each p holds the panel's columns contiguously.
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (p0 + p) * ldb + j0 + jr;
                    new ReadOnlySpan<float>(src, cols).CopyTo(new Span<float>(bp + p * nr, cols));
                }
            }
            else
            {
                // op(B)[p, j] = b[j·ldb + p]: read each stored row contiguously, write with stride NR.
                for (int j = 0; j < cols; j++)
                {
                    float* src = b + (j0 + jr + j) * ldb + p0;
                    for (int p = 0; p < kc; p++) bp[p * nr + j] = src[p];
                }
            }
            if (cols < nr)
                for (int p = 0; p < kc; p++)
                    new Span<float>(bp + p * nr + cols, nr - cols).Clear();
        }
    }
}
