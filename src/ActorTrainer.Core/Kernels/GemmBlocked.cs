using System.Runtime.CompilerServices;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// The cache-blocked GEMM driver (GotoBLAS/BLIS loop nest) around a register-blocked micro-kernel.
/// C (m×n) = α·op(A)·op(B) + β·C with m, n, k &gt; 0; arguments already validated by <see cref="Gemm"/>.
/// <code>
/// for jc in n by NC                 B block kc×nc  (L2/L3)
///   for pc in k by KC               β applies on the first pc only, later blocks accumulate
///     pack op(B)[pc, jc] → Bp
///     for ic in m by MC             A block mc×kc  (L2)
///       pack op(A)[ic, pc] → Ap
///       for jr in nc by NR          B panel kc×NR  (L1)
///         for ir in mc by MR        micro-kernel: C tile MR×NR in registers, C = α·acc + β·C
/// </code>
/// </summary>
internal static unsafe class GemmBlocked
{
    private const int KC = 256;
    private const int NC = 2048;
    private const int MCPanels = 16; // MC = 16·MR

    /// <summary>
    /// Up to this many rows of C, a non-transposed B is read in place (stride ldb) instead of packed:
    /// each element of B is then used only m times, too few to repay copying it (measured: packing
    /// loses below m = 32, breaks even near 64).
    /// </summary>
    private const int StreamBMaxM = 48;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TK>(Transpose ta, Transpose tb, int m, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc)
        where TK : struct, IMicroKernel
    {
        int mrMax = TK.MR, nrMax = TK.NR;
        bool simd = TK.Simd;
        int mcMax = MCPanels * mrMax;
        int ncMax = NC / nrMax * nrMax;
        float* ap = GemmWorkspace.A(mcMax * KC);                                   // (MC×KC) packed op(A)
        float* bp = GemmWorkspace.B(Math.Min(k, KC) * RoundUp(Math.Min(n, ncMax), nrMax)); // (KC×NC) packed op(B)
        float* tile = stackalloc float[mrMax * nrMax];                            // (MR×NR) edge tile
        bool streamB = tb == Transpose.No && m <= StreamBMaxM;
        bool thinEdges = simd && mrMax == 8;                                      // ThinEdge.Run8 fits the panel

        for (int jc = 0; jc < n; jc += ncMax)
        {
            int nc = Math.Min(ncMax, n - jc);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                float betaBlock = pc == 0 ? beta : 1f;
                if (!streamB) GemmPacking.PackB(tb, b, ldb, pc, kc, jc, nc, nrMax, bp, simd);
                for (int ic = 0; ic < m; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, m - ic);
                    GemmPacking.PackA(ta, a, lda, ic, mc, pc, kc, mrMax, ap, simd);
                    for (int jr = 0; jr < nc; jr += nrMax)
                    {
                        int nr = Math.Min(nrMax, nc - jr);
                        float* bPanel = bp + jr * kc;                                // (kc×NR)
                        nint bStride = nrMax;
                        if (streamB)
                        {
                            if (nr == nrMax) { bPanel = b + pc * ldb + jc + jr; bStride = ldb; }
                            else GemmPacking.PackB(tb, b, ldb, pc, kc, jc + jr, nr, nrMax, bPanel, simd); // ragged edge: pack it
                        }
                        for (int ir = 0; ir < mc; ir += mrMax)
                        {
                            int mr = Math.Min(mrMax, mc - ir);
                            float* aPanel = ap + ir * kc;                            // (kc×MR)
                            float* cTile = c + (ic + ir) * ldc + jc + jr;          // (mr×nr) of C
                            if (nr == nrMax)
                                TK.Run(kc, aPanel, bPanel, bStride, cTile, ldc, alpha, betaBlock, mr);
                            else if (thinEdges && nr <= ThinEdge.MaxColumns)
                                ThinEdge.Run8(kc, aPanel, bPanel, bStride, cTile, ldc, alpha, betaBlock, mr, nr);
                            else
                            {
                                // Right edge: compute the full tile into scratch, merge the nr valid columns.
                                TK.Run(kc, aPanel, bPanel, nrMax, tile, nrMax, alpha, 0f, mr);
                                MergeTile(tile, nrMax, cTile, ldc, mr, nr, betaBlock);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>C[i, j] = tile[i, j] + β·C[i, j] for i &lt; mr, j &lt; nr (β = 0 does not read C).</summary>
    private static void MergeTile(float* tile, int ldt, float* c, nint ldc, int mr, int nr, float beta)
    {
        for (int i = 0; i < mr; i++, tile += ldt, c += ldc)
            for (int j = 0; j < nr; j++)
                c[j] = beta == 0f ? tile[j] : tile[j] + beta * c[j];
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
