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
    /// <summary>Ap ← op(A)[i0 : i0+mc, p0 : p0+kc] as ⌈mc/MR⌉ panels of (kc×MR); rows past mc are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(Transpose ta, float* a, nint lda, int i0, int mc, int p0, int kc, int mr, float* ap, bool simd)
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
                        Transpose8x8(src + p, lda, ap + p * 8, 8);
                for (int r = 0; r < rows; r++)                                   // ragged p: element-wise
                    for (int q = p; q < kc; q++) ap[q * mr + r] = src[r * lda + q];
            }
            else
            {
                // op(A)[i, p] = a[p·lda + i]: each p holds the panel's rows contiguously.
                float* src = a + p0 * lda + i0 + ir;
                if (simd && rows == 8 && mr == 8)
                    for (int p = 0; p < kc; p++, src += lda) Vector256.Load(src).Store(ap + p * 8);
                else
                    for (int p = 0; p < kc; p++, src += lda)
                        for (int r = 0; r < rows; r++) ap[p * mr + r] = src[r];
            }
            for (int r = rows; r < mr; r++)
                for (int p = 0; p < kc; p++) ap[p * mr + r] = 0f;
        }
    }

    /// <summary>Bp ← op(B)[p0 : p0+kc, j0 : j0+nc] as ⌈nc/NR⌉ panels of (kc×NR); columns past nc are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(Transpose tb, float* b, nint ldb, int p0, int kc, int j0, int nc, int nr, float* bp, bool simd)
    {
        for (int jr = 0; jr < nc; jr += nr, bp += nr * kc)
        {
            int cols = Math.Min(nr, nc - jr);
            if (tb == Transpose.No)
            {
                // op(B)[p, j] = b[p·ldb + j]: each p holds the panel's columns contiguously.
                float* src = b + p0 * ldb + j0 + jr, dst = bp;
                if (simd && cols == 32 && nr == 32)                           // the AVX-512 panel: two zmm per p
                    for (int p = 0; p < kc; p++, src += ldb, dst += 32)
                    {
                        Vector512.Load(src).Store(dst);
                        Vector512.Load(src + 16).Store(dst + 16);
                    }
                else if (simd && cols == 16 && nr == 16)                      // the AVX2 panel: two ymm per p
                    for (int p = 0; p < kc; p++, src += ldb, dst += 16)
                    {
                        Vector256.Load(src).Store(dst);
                        Vector256.Load(src + 8).Store(dst + 8);
                    }
                else
                    for (int p = 0; p < kc; p++, src += ldb, dst += nr)
                        for (int j = 0; j < cols; j++) dst[j] = src[j];
            }
            else
            {
                // op(B)[p, j] = b[j·ldb + p]: a transpose of the stored rows j0+jr … j0+jr+cols−1.
                float* src = b + (j0 + jr) * ldb + p0;
                int j = 0;
                if (simd)
                {
                    int cols8 = cols & ~7, p = 0;
                    for (; p <= kc - 16; p += 16)                            // a whole cache line of each row at once
                        for (j = 0; j < cols8; j += 8)
                        {
                            Transpose8x8(src + j * ldb + p, ldb, bp + p * nr + j, nr);
                            Transpose8x8(src + j * ldb + p + 8, ldb, bp + (p + 8) * nr + j, nr);
                        }
                    for (; p <= kc - 8; p += 8)
                        for (j = 0; j < cols8; j += 8)
                            Transpose8x8(src + j * ldb + p, ldb, bp + p * nr + j, nr);
                    for (; p < kc; p++)                                       // ragged p: element-wise
                        for (j = 0; j < cols8; j++) bp[p * nr + j] = src[j * ldb + p];
                    j = cols8;
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
    /// dst[q·ldd + r] = src[r·lds + q] for r, q &lt; 8: an 8×8 block transposed in ymm registers.
    /// Rows r and r+4 are loaded into the two 128-bit halves of one register, so every later step stays
    /// within a half: unpack pairs of rows, then one shuffle and two blends per pair of columns
    /// (12 shuffle-port µops per block instead of 24).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint lds, float* dst, nint ldd)
    {
        float* s4 = src + 4 * lds;
        // r_i = [row i, columns 0–3 | row i+4, columns 0–3]; r_{i+4}: the same for columns 4–7
        var r0 = Vector256.Create(Vector128.Load(src), Vector128.Load(s4));
        var r1 = Vector256.Create(Vector128.Load(src + lds), Vector128.Load(s4 + lds));
        var r2 = Vector256.Create(Vector128.Load(src + 2 * lds), Vector128.Load(s4 + 2 * lds));
        var r3 = Vector256.Create(Vector128.Load(src + 3 * lds), Vector128.Load(s4 + 3 * lds));
        var r4 = Vector256.Create(Vector128.Load(src + 4), Vector128.Load(s4 + 4));
        var r5 = Vector256.Create(Vector128.Load(src + lds + 4), Vector128.Load(s4 + lds + 4));
        var r6 = Vector256.Create(Vector128.Load(src + 2 * lds + 4), Vector128.Load(s4 + 2 * lds + 4));
        var r7 = Vector256.Create(Vector128.Load(src + 3 * lds + 4), Vector128.Load(s4 + 3 * lds + 4));
        // t: rows interleaved pairwise, e.g. t0 = [r0₀ r1₀ r0₁ r1₁ | r4₀ r5₀ r4₁ r5₁]
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        // columns: v = [tx₂ tx₃ ty₀ ty₁] per half; column 2c = blend(tx, v), column 2c+1 = blend(ty, v)
        var v02 = Avx.Shuffle(t0, t2, 0x4E); var v13 = Avx.Shuffle(t1, t3, 0x4E);
        var v46 = Avx.Shuffle(t4, t6, 0x4E); var v57 = Avx.Shuffle(t5, t7, 0x4E);
        Avx.Blend(t0, v02, 0xCC).Store(dst);
        Avx.Blend(t2, v02, 0x33).Store(dst + ldd);
        Avx.Blend(t1, v13, 0xCC).Store(dst + 2 * ldd);
        Avx.Blend(t3, v13, 0x33).Store(dst + 3 * ldd);
        Avx.Blend(t4, v46, 0xCC).Store(dst + 4 * ldd);
        Avx.Blend(t6, v46, 0x33).Store(dst + 5 * ldd);
        Avx.Blend(t5, v57, 0xCC).Store(dst + 6 * ldd);
        Avx.Blend(t7, v57, 0x33).Store(dst + 7 * ldd);
    }
}
