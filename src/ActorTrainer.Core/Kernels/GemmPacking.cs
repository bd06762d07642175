using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous, zero-padded panels the micro-kernels stream
/// (GotoBLAS/BLIS packing). Packed A: panels of MR rows, each kc×MR with p outermost (Ap[p·MR + r]).
/// Packed B: panels of NR columns, each kc×NR (Bp[p·NR + j]).
/// Where the copy is a transpose (A not transposed, B transposed) and <c>simd</c> is set, whole 8×8
/// blocks go through registers (<see cref="Transpose8x8"/>); the ragged rest is copied element-wise.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Ap ← α·op(A)[i0 : i0+mc, p0 : p0+kc] as ⌈mc/MR⌉ panels of (kc×MR); rows past mc are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(Transpose ta, float* a, nint lda, int i0, int mc, int p0, int kc, float alpha, int mr, float* ap, bool simd)
    {
        for (int ir = 0; ir < mc; ir += mr, ap += mr * kc)
        {
            int rows = Math.Min(mr, mc - ir);
            if (ta == Transpose.No)
            {
                // op(A)[i, p] = a[i·lda + p]: a transpose of the panel's rows.
                float* src = a + (i0 + ir) * lda + p0;
                int p = 0;
                if (simd && rows == 8 && mr == 8)
                    for (; p <= kc - 8; p += 8)
                        Transpose8x8(src + p, lda, ap + p * 8, 8, alpha);
                for (int r = 0; r < rows; r++)
                    for (int q = p; q < kc; q++) ap[q * mr + r] = alpha * src[r * lda + q];
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(Transpose tb, float* b, nint ldb, int p0, int kc, int j0, int nc, int nr, float* bp, bool simd)
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
                // op(B)[p, j] = b[j·ldb + p]: a transpose of the stored rows j0+jr … j0+jr+cols−1.
                float* src = b + (j0 + jr) * ldb + p0;
                int j = 0;
                if (simd)
                    for (; j <= cols - 8; j += 8)
                    {
                        int p = 0;
                        for (; p <= kc - 8; p += 8)
                            Transpose8x8(src + j * ldb + p, ldb, bp + p * nr + j, nr, 1f);
                        for (; p < kc; p++)                                   // ragged p: element-wise
                            for (int q = 0; q < 8; q++) bp[p * nr + j + q] = src[(j + q) * ldb + p];
                    }
                for (; j < cols; j++)                                        // ragged columns: element-wise
                    for (int p = 0; p < kc; p++) bp[p * nr + j] = src[j * ldb + p];
            }
            if (cols < nr)
                for (int p = 0; p < kc; p++)
                    new Span<float>(bp + p * nr + cols, nr - cols).Clear();
        }
    }

    /// <summary>
    /// dst[q·ldd + r] = α·src[r·lds + q] for r, q &lt; 8: an 8×8 block transposed in ymm registers
    /// (unpack pairs of rows, shuffle pairs of pairs, swap 128-bit halves).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint lds, float* dst, nint ldd, float alpha)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds); var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds); var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds); var r7 = Avx.LoadVector256(src + 7 * lds);
        // t: interleave rows pairwise: [r0₀ r1₀ r0₁ r1₁ | r0₄ r1₄ r0₅ r1₅] …
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        // s: four rows per column within each 128-bit half: s0 = [col 0 rows 0–3 | col 4 rows 0–3] …
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        // columns: join rows 0–3 with rows 4–7 across the 128-bit halves
        var av = Vector256.Create(alpha);
        (av * Avx.Permute2x128(s0, s4, 0x20)).Store(dst);
        (av * Avx.Permute2x128(s1, s5, 0x20)).Store(dst + ldd);
        (av * Avx.Permute2x128(s2, s6, 0x20)).Store(dst + 2 * ldd);
        (av * Avx.Permute2x128(s3, s7, 0x20)).Store(dst + 3 * ldd);
        (av * Avx.Permute2x128(s0, s4, 0x31)).Store(dst + 4 * ldd);
        (av * Avx.Permute2x128(s1, s5, 0x31)).Store(dst + 5 * ldd);
        (av * Avx.Permute2x128(s2, s6, 0x31)).Store(dst + 6 * ldd);
        (av * Avx.Permute2x128(s3, s7, 0x31)).Store(dst + 7 * ldd);
    }
}
