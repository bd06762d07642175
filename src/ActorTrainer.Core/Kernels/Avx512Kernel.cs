using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ActorTrainer.Core.Kernels;

/// <summary>AVX-512 12×32 micro-kernel: 24 zmm accumulators, two B vectors and one broadcast A per step.</summary>
internal readonly unsafe struct Avx512Kernel : IMicroKernel
{
    public static int MR => 12;
    public static int NR => 32;

    public static void Run(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float beta, int mr)
    {
        // acc: row i of the tile is (c{i}a | c{i}b), 16 lanes each
        Vector512<float> c0a = default, c0b = default; Vector512<float> c1a = default, c1b = default; Vector512<float> c2a = default, c2b = default; Vector512<float> c3a = default, c3b = default;
        Vector512<float> c4a = default, c4b = default; Vector512<float> c5a = default, c5b = default; Vector512<float> c6a = default, c6b = default; Vector512<float> c7a = default, c7b = default;
        Vector512<float> c8a = default, c8b = default; Vector512<float> c9a = default, c9b = default; Vector512<float> c10a = default, c10b = default; Vector512<float> c11a = default, c11b = default;
        for (int p = 0; p < kc; p++, a += 12, b += bStride)
        {
            // rank-1 update: acc += a[:, p] ⊗ b[p, :]
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]); c0a = Vector512.FusedMultiplyAdd(a0, b0, c0a); c0b = Vector512.FusedMultiplyAdd(a0, b1, c0b);
            var a1 = Vector512.Create(a[1]); c1a = Vector512.FusedMultiplyAdd(a1, b0, c1a); c1b = Vector512.FusedMultiplyAdd(a1, b1, c1b);
            var a2 = Vector512.Create(a[2]); c2a = Vector512.FusedMultiplyAdd(a2, b0, c2a); c2b = Vector512.FusedMultiplyAdd(a2, b1, c2b);
            var a3 = Vector512.Create(a[3]); c3a = Vector512.FusedMultiplyAdd(a3, b0, c3a); c3b = Vector512.FusedMultiplyAdd(a3, b1, c3b);
            var a4 = Vector512.Create(a[4]); c4a = Vector512.FusedMultiplyAdd(a4, b0, c4a); c4b = Vector512.FusedMultiplyAdd(a4, b1, c4b);
            var a5 = Vector512.Create(a[5]); c5a = Vector512.FusedMultiplyAdd(a5, b0, c5a); c5b = Vector512.FusedMultiplyAdd(a5, b1, c5b);
            var a6 = Vector512.Create(a[6]); c6a = Vector512.FusedMultiplyAdd(a6, b0, c6a); c6b = Vector512.FusedMultiplyAdd(a6, b1, c6b);
            var a7 = Vector512.Create(a[7]); c7a = Vector512.FusedMultiplyAdd(a7, b0, c7a); c7b = Vector512.FusedMultiplyAdd(a7, b1, c7b);
            var a8 = Vector512.Create(a[8]); c8a = Vector512.FusedMultiplyAdd(a8, b0, c8a); c8b = Vector512.FusedMultiplyAdd(a8, b1, c8b);
            var a9 = Vector512.Create(a[9]); c9a = Vector512.FusedMultiplyAdd(a9, b0, c9a); c9b = Vector512.FusedMultiplyAdd(a9, b1, c9b);
            var a10 = Vector512.Create(a[10]); c10a = Vector512.FusedMultiplyAdd(a10, b0, c10a); c10b = Vector512.FusedMultiplyAdd(a10, b1, c10b);
            var a11 = Vector512.Create(a[11]); c11a = Vector512.FusedMultiplyAdd(a11, b0, c11a); c11b = Vector512.FusedMultiplyAdd(a11, b1, c11b);
        }
        Store(c, c0a, c0b, beta);
        if (mr > 1) Store(c + 1 * ldc, c1a, c1b, beta);
        if (mr > 2) Store(c + 2 * ldc, c2a, c2b, beta);
        if (mr > 3) Store(c + 3 * ldc, c3a, c3b, beta);
        if (mr > 4) Store(c + 4 * ldc, c4a, c4b, beta);
        if (mr > 5) Store(c + 5 * ldc, c5a, c5b, beta);
        if (mr > 6) Store(c + 6 * ldc, c6a, c6b, beta);
        if (mr > 7) Store(c + 7 * ldc, c7a, c7b, beta);
        if (mr > 8) Store(c + 8 * ldc, c8a, c8b, beta);
        if (mr > 9) Store(c + 9 * ldc, c9a, c9b, beta);
        if (mr > 10) Store(c + 10 * ldc, c10a, c10b, beta);
        if (mr > 11) Store(c + 11 * ldc, c11a, c11b, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> x0, Vector512<float> x1, float beta)
    {
        if (beta == 0f) { x0.Store(c); x1.Store(c + 16); return; }  // β = 0: C is not read
        if (beta == 1f) { (x0 + Vector512.Load(c)).Store(c); (x1 + Vector512.Load(c + 16)).Store(c + 16); return; }
        var bv = Vector512.Create(beta);
        Vector512.FusedMultiplyAdd(bv, Vector512.Load(c), x0).Store(c);
        Vector512.FusedMultiplyAdd(bv, Vector512.Load(c + 16), x1).Store(c + 16);
    }
}
