using System.Runtime.CompilerServices;

namespace ActorTrainer.Core.Kernels;

/// <summary>Portable 4×4 micro-kernel: 16 scalar accumulators. The fallback when no SIMD path runs.</summary>
internal readonly unsafe struct ScalarKernel : IMicroKernel
{
    public static int MR => 4;
    public static int NR => 4;
    public static bool Simd => false;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, nint bStride, float* c, nint ldc, float alpha, float beta, int mr)
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++, a += 4, b += bStride)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        Store(c, c00, c01, c02, c03, alpha, beta);
        if (mr > 1) Store(c + ldc, c10, c11, c12, c13, alpha, beta);
        if (mr > 2) Store(c + 2 * ldc, c20, c21, c22, c23, alpha, beta);
        if (mr > 3) Store(c + 3 * ldc, c30, c31, c32, c33, alpha, beta);
    }

    private static void Store(float* c, float x0, float x1, float x2, float x3, float alpha, float beta)
    {
        if (beta == 0f) { c[0] = alpha * x0; c[1] = alpha * x1; c[2] = alpha * x2; c[3] = alpha * x3; }  // β = 0: C is not read
        else
        {
            c[0] = alpha * x0 + beta * c[0]; c[1] = alpha * x1 + beta * c[1];
            c[2] = alpha * x2 + beta * c[2]; c[3] = alpha * x3 + beta * c[3];
        }
    }
}
