using System.Runtime.Intrinsics;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// The m = 1 case of <see cref="Gemm"/>: c (1×n) = α·x·op(B) + β·c with x = op(A) (1×k). Nothing is
/// packed: B is streamed once, which is all a matrix–vector product can do (it is bandwidth-bound).
/// tb = No  ("axpy" form): y[j] = Σ_p x[p]·B[p, j]  — rows of B scaled and summed, vectors along j.
/// tb = Yes ("dot" form):  y[j] = Σ_p x[p]·B[j, p]  — dot products of x with rows of B, vectors along p.
/// </summary>
internal static unsafe class Gemv
{
    public static void Run(GemmIsa isa, Transpose ta, Transpose tb, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c)
    {
        float* x = a;                                           // (k) the single row of op(A)
        if (ta == Transpose.Yes && lda != 1)
        {
            x = GemmWorkspace.A(k);                             // gather the column a[p·lda]
            for (int p = 0; p < k; p++) x[p] = a[p * lda];
        }
        if (isa == GemmIsa.Avx512)
        {
            if (tb == Transpose.No) Axpy512(n, k, alpha, x, b, ldb, beta, c);
            else Dot512(n, k, alpha, x, b, ldb, beta, c);
        }
        else
        {
            if (tb == Transpose.No) Axpy256(n, k, alpha, x, b, ldb, beta, c);
            else Dot256(n, k, alpha, x, b, ldb, beta, c);
        }
    }

    // ---- AVX-512 -------------------------------------------------------------------------------

    private static void Axpy512(int n, int k, float alpha, float* x, float* b, nint ldb, float beta, float* c)
    {
        int j = 0;
        for (; j <= n - 64; j += 64)                            // 4 vectors of y, 2 steps of p in flight
        {
            Vector512<float> y0 = default, y1 = default, y2 = default, y3 = default;
            Vector512<float> z0 = default, z1 = default, z2 = default, z3 = default;
            float* row = b + j;
            int p = 0;
            for (; p <= k - 2; p += 2, row += 2 * ldb)
            {
                var xp = Vector512.Create(x[p]);
                y0 = Vector512.FusedMultiplyAdd(xp, Vector512.Load(row), y0);
                y1 = Vector512.FusedMultiplyAdd(xp, Vector512.Load(row + 16), y1);
                y2 = Vector512.FusedMultiplyAdd(xp, Vector512.Load(row + 32), y2);
                y3 = Vector512.FusedMultiplyAdd(xp, Vector512.Load(row + 48), y3);
                var xq = Vector512.Create(x[p + 1]);
                z0 = Vector512.FusedMultiplyAdd(xq, Vector512.Load(row + ldb), z0);
                z1 = Vector512.FusedMultiplyAdd(xq, Vector512.Load(row + ldb + 16), z1);
                z2 = Vector512.FusedMultiplyAdd(xq, Vector512.Load(row + ldb + 32), z2);
                z3 = Vector512.FusedMultiplyAdd(xq, Vector512.Load(row + ldb + 48), z3);
            }
            if (p < k)                                          // odd k: last row of B
            {
                var xp = Vector512.Create(x[p]);
                y0 = Vector512.FusedMultiplyAdd(xp, Vector512.Load(row), y0);
                y1 = Vector512.FusedMultiplyAdd(xp, Vector512.Load(row + 16), y1);
                y2 = Vector512.FusedMultiplyAdd(xp, Vector512.Load(row + 32), y2);
                y3 = Vector512.FusedMultiplyAdd(xp, Vector512.Load(row + 48), y3);
            }
            Store512(c + j, y0 + z0, alpha, beta);
            Store512(c + j + 16, y1 + z1, alpha, beta);
            Store512(c + j + 32, y2 + z2, alpha, beta);
            Store512(c + j + 48, y3 + z3, alpha, beta);
        }
        for (; j <= n - 16; j += 16)                            // one vector of y at a time
        {
            Vector512<float> y0 = default;
            float* row = b + j;
            for (int p = 0; p < k; p++, row += ldb)
                y0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[p]), Vector512.Load(row), y0);
            Store512(c + j, y0, alpha, beta);
        }
        AxpyTail(j, n, k, alpha, x, b, ldb, beta, c);           // last n mod 16 columns: scalar
    }

    private static void Dot512(int n, int k, float alpha, float* x, float* b, nint ldb, float beta, float* c)
    {
        int j = 0;
        for (; j <= n - 8; j += 8)                              // 8 rows of B share each load of x
        {
            float* r0 = b + j * ldb;
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            Vector512<float> s4 = default, s5 = default, s6 = default, s7 = default;
            int p = 0;
            for (; p <= k - 16; p += 16)
            {
                var xv = Vector512.Load(x + p);
                s0 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r0 + p), s0);
                s1 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r0 + ldb + p), s1);
                s2 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r0 + 2 * ldb + p), s2);
                s3 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r0 + 3 * ldb + p), s3);
                s4 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r0 + 4 * ldb + p), s4);
                s5 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r0 + 5 * ldb + p), s5);
                s6 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r0 + 6 * ldb + p), s6);
                s7 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r0 + 7 * ldb + p), s7);
            }
            StoreDot(c + j + 0, Vector512.Sum(s0) + DotTail(p, k, x, r0), alpha, beta);
            StoreDot(c + j + 1, Vector512.Sum(s1) + DotTail(p, k, x, r0 + ldb), alpha, beta);
            StoreDot(c + j + 2, Vector512.Sum(s2) + DotTail(p, k, x, r0 + 2 * ldb), alpha, beta);
            StoreDot(c + j + 3, Vector512.Sum(s3) + DotTail(p, k, x, r0 + 3 * ldb), alpha, beta);
            StoreDot(c + j + 4, Vector512.Sum(s4) + DotTail(p, k, x, r0 + 4 * ldb), alpha, beta);
            StoreDot(c + j + 5, Vector512.Sum(s5) + DotTail(p, k, x, r0 + 5 * ldb), alpha, beta);
            StoreDot(c + j + 6, Vector512.Sum(s6) + DotTail(p, k, x, r0 + 6 * ldb), alpha, beta);
            StoreDot(c + j + 7, Vector512.Sum(s7) + DotTail(p, k, x, r0 + 7 * ldb), alpha, beta);
        }
        for (; j < n; j++)                                      // last n mod 8 rows one at a time
        {
            float* r = b + j * ldb;
            Vector512<float> s = default;
            int p = 0;
            for (; p <= k - 16; p += 16)
                s = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(r + p), s);
            StoreDot(c + j, Vector512.Sum(s) + DotTail(p, k, x, r), alpha, beta);
        }
    }

    private static void Store512(float* c, Vector512<float> y, float alpha, float beta)
    {
        var v = Vector512.Create(alpha) * y;
        if (beta != 0f) v = Vector512.FusedMultiplyAdd(Vector512.Create(beta), Vector512.Load(c), v);
        v.Store(c);
    }

    // ---- AVX2 ----------------------------------------------------------------------------------

    private static void Axpy256(int n, int k, float alpha, float* x, float* b, nint ldb, float beta, float* c)
    {
        int j = 0;
        for (; j <= n - 32; j += 32)                            // 4 vectors of y
        {
            Vector256<float> y0 = default, y1 = default, y2 = default, y3 = default;
            float* row = b + j;
            for (int p = 0; p < k; p++, row += ldb)
            {
                var xp = Vector256.Create(x[p]);
                y0 = Vector256.FusedMultiplyAdd(xp, Vector256.Load(row), y0);
                y1 = Vector256.FusedMultiplyAdd(xp, Vector256.Load(row + 8), y1);
                y2 = Vector256.FusedMultiplyAdd(xp, Vector256.Load(row + 16), y2);
                y3 = Vector256.FusedMultiplyAdd(xp, Vector256.Load(row + 24), y3);
            }
            Store256(c + j, y0, alpha, beta);
            Store256(c + j + 8, y1, alpha, beta);
            Store256(c + j + 16, y2, alpha, beta);
            Store256(c + j + 24, y3, alpha, beta);
        }
        for (; j <= n - 8; j += 8)
        {
            Vector256<float> y0 = default;
            float* row = b + j;
            for (int p = 0; p < k; p++, row += ldb)
                y0 = Vector256.FusedMultiplyAdd(Vector256.Create(x[p]), Vector256.Load(row), y0);
            Store256(c + j, y0, alpha, beta);
        }
        AxpyTail(j, n, k, alpha, x, b, ldb, beta, c);           // last n mod 8 columns: scalar
    }

    private static void Dot256(int n, int k, float alpha, float* x, float* b, nint ldb, float beta, float* c)
    {
        int j = 0;
        for (; j <= n - 4; j += 4)                              // 4 rows of B share each load of x
        {
            float* r0 = b + j * ldb;
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            int p = 0;
            for (; p <= k - 8; p += 8)
            {
                var xv = Vector256.Load(x + p);
                s0 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r0 + p), s0);
                s1 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r0 + ldb + p), s1);
                s2 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r0 + 2 * ldb + p), s2);
                s3 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r0 + 3 * ldb + p), s3);
            }
            StoreDot(c + j + 0, Vector256.Sum(s0) + DotTail(p, k, x, r0), alpha, beta);
            StoreDot(c + j + 1, Vector256.Sum(s1) + DotTail(p, k, x, r0 + ldb), alpha, beta);
            StoreDot(c + j + 2, Vector256.Sum(s2) + DotTail(p, k, x, r0 + 2 * ldb), alpha, beta);
            StoreDot(c + j + 3, Vector256.Sum(s3) + DotTail(p, k, x, r0 + 3 * ldb), alpha, beta);
        }
        for (; j < n; j++)
        {
            float* r = b + j * ldb;
            Vector256<float> s = default;
            int p = 0;
            for (; p <= k - 8; p += 8)
                s = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.Load(r + p), s);
            StoreDot(c + j, Vector256.Sum(s) + DotTail(p, k, x, r), alpha, beta);
        }
    }

    private static void Store256(float* c, Vector256<float> y, float alpha, float beta)
    {
        var v = Vector256.Create(alpha) * y;
        if (beta != 0f) v = Vector256.FusedMultiplyAdd(Vector256.Create(beta), Vector256.Load(c), v);
        v.Store(c);
    }

    // ---- scalar remainders (shared) ----------------------------------------------------------

    /// <summary>Columns j0..n-1 of the axpy form, one dot product down a column of B each.</summary>
    private static void AxpyTail(int j0, int n, int k, float alpha, float* x, float* b, nint ldb, float beta, float* c)
    {
        for (int j = j0; j < n; j++)
        {
            float s = 0f;
            float* col = b + j;
            for (int p = 0; p < k; p++) s += x[p] * col[p * ldb];
            StoreDot(c + j, s, alpha, beta);
        }
    }

    /// <summary>Σ x[p]·row[p] over the last k mod width elements, p0 ≤ p &lt; k.</summary>
    private static float DotTail(int p0, int k, float* x, float* row)
    {
        float s = 0f;
        for (int p = p0; p < k; p++) s += x[p] * row[p];
        return s;
    }

    private static void StoreDot(float* c, float y, float alpha, float beta)
        => *c = beta == 0f ? alpha * y : alpha * y + beta * *c;
}
