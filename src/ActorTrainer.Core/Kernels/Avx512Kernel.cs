using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ActorTrainer.Core.Kernels;

/// <summary>AVX-512 8×32 micro-kernel: 16 zmm accumulators, two B vectors and one broadcast A per step.</summary>
internal readonly unsafe struct Avx512Kernel : IMicroKernel
{
    public static int MR => 8;
    public static int NR => 32;
    public static bool Simd => true;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float alpha, float beta, int mr)
    {
        // acc (MR×NR): row i is (c{i}a | c{i}b), 16 lanes each
        Vector512<float> c0a = default, c0b = default, c1a = default, c1b = default;
        Vector512<float> c2a = default, c2b = default, c3a = default, c3b = default;
        Vector512<float> c4a = default, c4b = default, c5a = default, c5b = default;
        Vector512<float> c6a = default, c6b = default, c7a = default, c7b = default;
        for (int p = 0; p < kc; p++, a += 8, b += bStride)
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
        }
        var av = Vector512.Create(alpha);
        Store(c, c0a * av, c0b * av, beta);
        if (mr > 1) Store(c + 1 * ldc, c1a * av, c1b * av, beta);
        if (mr > 2) Store(c + 2 * ldc, c2a * av, c2b * av, beta);
        if (mr > 3) Store(c + 3 * ldc, c3a * av, c3b * av, beta);
        if (mr > 4) Store(c + 4 * ldc, c4a * av, c4b * av, beta);
        if (mr > 5) Store(c + 5 * ldc, c5a * av, c5b * av, beta);
        if (mr > 6) Store(c + 6 * ldc, c6a * av, c6b * av, beta);
        if (mr > 7) Store(c + 7 * ldc, c7a * av, c7b * av, beta);
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
