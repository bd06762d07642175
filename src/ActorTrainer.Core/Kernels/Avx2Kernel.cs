using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ActorTrainer.Core.Kernels;

/// <summary>AVX2+FMA 6×16 micro-kernel: 12 ymm accumulators, two B vectors and one broadcast A per step.</summary>
internal readonly unsafe struct Avx2Kernel : IMicroKernel
{
    public static int MR => 6;
    public static int NR => 16;
    public static bool Simd => true;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float alpha, float beta, int mr)
    {
        // acc (MR×NR): row i is (c{i}a | c{i}b), 8 lanes each
        Vector256<float> c0a = default, c0b = default, c1a = default, c1b = default;
        Vector256<float> c2a = default, c2b = default, c3a = default, c3b = default;
        Vector256<float> c4a = default, c4b = default, c5a = default, c5b = default;
        for (int p = 0; p < kc; p++, a += 6, b += bStride)
        {
            // rank-1 update: acc += a[:, p] ⊗ b[p, :]
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]); c0a = Vector256.FusedMultiplyAdd(a0, b0, c0a); c0b = Vector256.FusedMultiplyAdd(a0, b1, c0b);
            var a1 = Vector256.Create(a[1]); c1a = Vector256.FusedMultiplyAdd(a1, b0, c1a); c1b = Vector256.FusedMultiplyAdd(a1, b1, c1b);
            var a2 = Vector256.Create(a[2]); c2a = Vector256.FusedMultiplyAdd(a2, b0, c2a); c2b = Vector256.FusedMultiplyAdd(a2, b1, c2b);
            var a3 = Vector256.Create(a[3]); c3a = Vector256.FusedMultiplyAdd(a3, b0, c3a); c3b = Vector256.FusedMultiplyAdd(a3, b1, c3b);
            var a4 = Vector256.Create(a[4]); c4a = Vector256.FusedMultiplyAdd(a4, b0, c4a); c4b = Vector256.FusedMultiplyAdd(a4, b1, c4b);
            var a5 = Vector256.Create(a[5]); c5a = Vector256.FusedMultiplyAdd(a5, b0, c5a); c5b = Vector256.FusedMultiplyAdd(a5, b1, c5b);
        }
        var av = Vector256.Create(alpha);
        Store(c, c0a * av, c0b * av, beta);
        if (mr > 1) Store(c + 1 * ldc, c1a * av, c1b * av, beta);
        if (mr > 2) Store(c + 2 * ldc, c2a * av, c2b * av, beta);
        if (mr > 3) Store(c + 3 * ldc, c3a * av, c3b * av, beta);
        if (mr > 4) Store(c + 4 * ldc, c4a * av, c4b * av, beta);
        if (mr > 5) Store(c + 5 * ldc, c5a * av, c5b * av, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> x0, Vector256<float> x1, float beta)
    {
        if (beta == 0f) { x0.Store(c); x1.Store(c + 8); return; }  // β = 0: C is not read
        if (beta == 1f) { (x0 + Vector256.Load(c)).Store(c); (x1 + Vector256.Load(c + 8)).Store(c + 8); return; }
        var bv = Vector256.Create(beta);
        Vector256.FusedMultiplyAdd(bv, Vector256.Load(c), x0).Store(c);
        Vector256.FusedMultiplyAdd(bv, Vector256.Load(c + 8), x1).Store(c + 8);
    }
}
