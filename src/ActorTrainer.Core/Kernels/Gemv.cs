using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// The m = 1 case of <see cref="Gemm"/>: c (1×n) = α·x·op(B) + β·c with x = op(A) (1×k). Nothing is
/// packed: B is streamed once, which is all a matrix–vector product can do (it is bandwidth-bound).
/// tb = No  ("axpy" form): y[j] = Σ_p x[p]·B[p, j]  — rows of B scaled and summed, vectors along j.
/// tb = Yes ("dot" form):  y[j] = Σ_p x[p]·B[j, p]  — dot products of x with rows of B, vectors along p,
/// eight rows at a time, their eight horizontal sums reduced together into one ymm.
/// </summary>
internal static unsafe class Gemv
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(GemmIsa isa, Transpose ta, Transpose tb, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c)
    {
        float* x = a;                                           // (k) the single row of op(A)
        if (ta == Transpose.Yes && lda != 1)
        {
            x = GemmWorkspace.A(k);                             // gather the column a[p·lda]
            for (int p = 0; p < k; p++) x[p] = a[p * lda];
        }
        bool wide = isa == GemmIsa.Avx512;
        if (tb == Transpose.No)
        {
            if (wide) Axpy512(n, k, alpha, x, b, ldb, beta, c);
            else Axpy256(n, k, alpha, x, b, ldb, beta, c);
        }
        else if (k < (wide ? 16 : 8))
            DotScalar(n, k, alpha, x, b, ldb, beta, c);
        else
            for (int j = 0; j < n; j += 8)
            {
                int rows = Math.Min(8, n - j);
                var y = wide ? Dot8Rows512(k, x, b + j * ldb, ldb, rows) : Dot8Rows256(k, x, b + j * ldb, ldb, rows);
                StoreDots(c + j, y, rows, alpha, beta);
            }
    }

    // ---- dot form ------------------------------------------------------------------------------

    /// <summary>
    /// [Σ_p x[p]·row_i[p]] for the 8 rows row_i = r0 + i·ldb (rows past <paramref name="rows"/> repeat the
    /// last one, so nothing outside B is read). Needs k ≥ 16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Dot8Rows512(int k, float* x, float* r0, nint ldb, int rows)
    {
        float* r1 = r0 + Math.Min(1, rows - 1) * ldb, r2 = r0 + Math.Min(2, rows - 1) * ldb;
        float* r3 = r0 + Math.Min(3, rows - 1) * ldb, r4 = r0 + Math.Min(4, rows - 1) * ldb;
        float* r5 = r0 + Math.Min(5, rows - 1) * ldb, r6 = r0 + Math.Min(6, rows - 1) * ldb;
        float* r7 = r0 + Math.Min(7, rows - 1) * ldb;
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector512<float> s4 = default, s5 = default, s6 = default, s7 = default;
        // Three kinds of step, each one vector of x against the same lanes of the eight rows:
        // head   [0, 16) masked to the lanes before row 0's first 64-byte boundary (so the body's loads
        //        are whole cache lines: split loads halved the throughput of this bandwidth-bound loop);
        // body   aligned windows;
        // tail   the overlapping window [k−16, k) with the lanes already summed masked off.
        int head = (int)(((64 - ((nint)r0 & 63)) & 63) >> 2);
        for (int p = 0; p < k;)
        {
            Vector512<float> xv;
            int at;
            if (p == 0 && head > 0)
            {
                at = 0;
                xv = Vector512.Load(x) & Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(head)).AsSingle();
                p = head;
            }
            else if (p <= k - 16)
            {
                at = p;
                xv = Vector512.Load(x + p);
                p += 16;
            }
            else
            {
                at = k - 16;
                xv = Vector512.Load(x + at) & Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(p - at)).AsSingle();
                p = k;
            }
            s0 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r0 + at), s0);
            s1 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r1 + at), s1);
            s2 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r2 + at), s2);
            s3 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r3 + at), s3);
            s4 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r4 + at), s4);
            s5 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r5 + at), s5);
            s6 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r6 + at), s6);
            s7 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(r7 + at), s7);
        }
        // fold each 512-bit sum to 256 bits, then reduce the eight together
        return Reduce8(s0.GetLower() + s0.GetUpper(), s1.GetLower() + s1.GetUpper(),
                       s2.GetLower() + s2.GetUpper(), s3.GetLower() + s3.GetUpper(),
                       s4.GetLower() + s4.GetUpper(), s5.GetLower() + s5.GetUpper(),
                       s6.GetLower() + s6.GetUpper(), s7.GetLower() + s7.GetUpper());
    }

    /// <summary>As <see cref="Dot8Rows512"/> with ymm vectors; needs k ≥ 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Dot8Rows256(int k, float* x, float* r0, nint ldb, int rows)
    {
        float* r1 = r0 + Math.Min(1, rows - 1) * ldb, r2 = r0 + Math.Min(2, rows - 1) * ldb;
        float* r3 = r0 + Math.Min(3, rows - 1) * ldb, r4 = r0 + Math.Min(4, rows - 1) * ldb;
        float* r5 = r0 + Math.Min(5, rows - 1) * ldb, r6 = r0 + Math.Min(6, rows - 1) * ldb;
        float* r7 = r0 + Math.Min(7, rows - 1) * ldb;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector256<float> s4 = default, s5 = default, s6 = default, s7 = default;
        for (int p = 0; p < k; p += 8)
        {
            Vector256<float> xv;
            if (p <= k - 8) xv = Vector256.Load(x + p);
            else
            {
                // tail: one overlapping window [k−8, k); zero the lanes of x already summed
                int seen = p - (k - 8);
                p = k - 8;
                xv = Vector256.Load(x + p) & Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(seen)).AsSingle();
            }
            s0 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r0 + p), s0);
            s1 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r1 + p), s1);
            s2 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r2 + p), s2);
            s3 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r3 + p), s3);
            s4 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r4 + p), s4);
            s5 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r5 + p), s5);
            s6 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r6 + p), s6);
            s7 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(r7 + p), s7);
        }
        return Reduce8(s0, s1, s2, s3, s4, s5, s6, s7);
    }

    /// <summary>[Σ u0, Σ u1, …, Σ u7]: horizontal sums of eight ymm vectors in one ymm.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Reduce8(Vector256<float> u0, Vector256<float> u1, Vector256<float> u2, Vector256<float> u3,
        Vector256<float> u4, Vector256<float> u5, Vector256<float> u6, Vector256<float> u7)
    {
        // per 128-bit half: q0 = [Σu0 Σu1 Σu2 Σu3] over that half's four lanes, q1 likewise for u4…u7
        var q0 = Avx.HorizontalAdd(Avx.HorizontalAdd(u0, u1), Avx.HorizontalAdd(u2, u3));
        var q1 = Avx.HorizontalAdd(Avx.HorizontalAdd(u4, u5), Avx.HorizontalAdd(u6, u7));
        return Avx.Permute2x128(q0, q1, 0x20) + Avx.Permute2x128(q0, q1, 0x31); // low halves + high halves
    }

    private static void StoreDots(float* c, Vector256<float> y, int rows, float alpha, float beta)
    {
        if (rows == 8)
        {
            var v = Vector256.Create(alpha) * y;
            if (beta != 0f) v = Vector256.FusedMultiplyAdd(Vector256.Create(beta), Vector256.Load(c), v);
            v.Store(c);
        }
        else
            for (int i = 0; i < rows; i++) StoreOne(c + i, y.GetElement(i), alpha, beta);
    }

    /// <summary>k below one vector: plain loops.</summary>
    private static void DotScalar(int n, int k, float alpha, float* x, float* b, nint ldb, float beta, float* c)
    {
        for (int j = 0; j < n; j++)
        {
            float s = 0f;
            for (int p = 0; p < k; p++) s += x[p] * b[j * ldb + p];
            StoreOne(c + j, s, alpha, beta);
        }
    }

    // ---- axpy form -----------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy512(int n, int k, float alpha, float* x, float* b, nint ldb, float beta, float* c)
    {
        if (n < 16) { AxpyTail(0, n, k, alpha, x, b, ldb, beta, c); return; }
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
            Store512(c + j, Column16(k, x, b + j, ldb), alpha, beta);
        if (j < n)                                              // tail: the overlapping last vector, new lanes only
            StoreLanes(c + n - 16, Column16(k, x, b + n - 16, ldb), j - (n - 16), 16, alpha, beta);
    }

    /// <summary>Σ_p x[p]·B[p, 0..16) for B starting at <paramref name="col"/>, four sums in flight.</summary>
    private static Vector512<float> Column16(int k, float* x, float* col, nint ldb)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int p = 0;
        for (; p <= k - 4; p += 4, col += 4 * ldb)
        {
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[p]), Vector512.Load(col), s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Create(x[p + 1]), Vector512.Load(col + ldb), s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Create(x[p + 2]), Vector512.Load(col + 2 * ldb), s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Create(x[p + 3]), Vector512.Load(col + 3 * ldb), s3);
        }
        for (; p < k; p++, col += ldb)
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[p]), Vector512.Load(col), s0);
        return s0 + s1 + (s2 + s3);
    }

    /// <summary>c[l] = α·y[l] + β·c[l] for lanes from ≤ l &lt; to.</summary>
    private static void StoreLanes(float* c, Vector512<float> y, int from, int to, float alpha, float beta)
    {
        for (int l = from; l < to; l++) StoreOne(c + l, y.GetElement(l), alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>Columns j0..n-1 of the axpy form, one dot product down a column of B each.</summary>
    private static void AxpyTail(int j0, int n, int k, float alpha, float* x, float* b, nint ldb, float beta, float* c)
    {
        for (int j = j0; j < n; j++)
        {
            float s = 0f;
            float* col = b + j;
            for (int p = 0; p < k; p++) s += x[p] * col[p * ldb];
            StoreOne(c + j, s, alpha, beta);
        }
    }

    private static void Store512(float* c, Vector512<float> y, float alpha, float beta)
    {
        var v = Vector512.Create(alpha) * y;
        if (beta != 0f) v = Vector512.FusedMultiplyAdd(Vector512.Create(beta), Vector512.Load(c), v);
        v.Store(c);
    }

    private static void Store256(float* c, Vector256<float> y, float alpha, float beta)
    {
        var v = Vector256.Create(alpha) * y;
        if (beta != 0f) v = Vector256.FusedMultiplyAdd(Vector256.Create(beta), Vector256.Load(c), v);
        v.Store(c);
    }

    private static void StoreOne(float* c, float y, float alpha, float beta)
        => *c = beta == 0f ? alpha * y : alpha * y + beta * *c;
}
