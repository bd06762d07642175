using System.Numerics.Tensors;

namespace ActorTrainer.Core.Diagnostics;

/// <summary>Which matrix norm a lag profile reports.</summary>
public enum MatrixNorm
{
    /// <summary>Operator 2-norm ‖A‖₂ = σ_max(A): the largest factor by which A stretches any vector.</summary>
    Spectral,
    /// <summary>Frobenius norm ‖A‖_F = √Σ a_ij² = √Σ σ_i²; ≥ ‖A‖₂ and ≤ √rank·‖A‖₂.</summary>
    Frobenius,
}

/// <summary>Matrix norms of row-major matrices: σ_max by power iteration on AAᵀ, and Frobenius.</summary>
public static class MatrixNorms
{
    /// <summary>Frobenius norm of a (any shape, row-major): √Σ a_ij².</summary>
    public static double Frobenius(ReadOnlySpan<float> a)
    {
        double s = 0;
        foreach (float x in a) s += (double)x * x;
        return Math.Sqrt(s);
    }

    /// <summary>
    /// Largest singular value σ_max of A (rows×cols, row-major), by power iteration on AAᵀ from a
    /// seeded random start, computed in double. The estimate ‖Aᵀu‖ (u unit) rises monotonically to σ_max;
    /// iteration stops when it changes by less than tolerance (relative) or after maxIterations.
    /// Throws if the length is not rows·cols.
    /// </summary>
    public static double LargestSingularValue(ReadOnlySpan<float> a, int rows, int cols,
        double tolerance = 1e-12, int maxIterations = 10_000, int seed = 1)
    {
        if (rows <= 0 || cols <= 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"shape {rows}×{cols} must be positive");
        if (a.Length != rows * cols)
            throw new ArgumentException($"matrix has length {a.Length}, expected {rows}·{cols}", nameof(a));
        var ad = Dense.ToDouble(a);
        var u = new double[rows];
        RandomUnit(u, seed);
        return LargestSingularValue(ad, rows, cols, u, new double[cols], tolerance, maxIterations);
    }

    /// <summary>
    /// σ_max of A (m×n, double) by power iteration on AAᵀ, warm-started from u (m, unit; left in place as the
    /// estimate of the top left singular vector, so successive calls on slowly changing matrices converge in a few
    /// steps). g (n) is scratch. Returns 0 for A = 0.
    /// </summary>
    internal static double LargestSingularValue(ReadOnlySpan<double> a, int m, int n, Span<double> u, Span<double> g,
        double tolerance, int maxIterations)
    {
        double sigma = 0;
        for (int it = 0; it < maxIterations; it++)
        {
            // g = Aᵀu; for unit u, ‖g‖² = uᵀAAᵀu is the Rayleigh quotient of AAᵀ: a lower bound on σ_max² that rises.
            Dense.MatTVec(a, m, n, u, g);
            double next = TensorPrimitives.Norm<double>(g);
            if (next == 0)
            {
                // u lies in the left null space (or A = 0): restart from A's largest column, if any.
                if (!RestartFromLargestColumn(a, m, n, u)) return 0;
                continue;
            }
            bool done = next - sigma <= tolerance * next;
            sigma = Math.Max(sigma, next);
            if (done) break;
            // u ← A g / ‖A g‖ = AAᵀu / ‖AAᵀu‖
            Dense.MatVec(a, m, n, g, u);
            double nu = TensorPrimitives.Norm<double>(u);
            TensorPrimitives.Divide(u, nu, u);
        }
        return sigma;
    }

    private static bool RestartFromLargestColumn(ReadOnlySpan<double> a, int m, int n, Span<double> u)
    {
        int best = -1; double bestNorm = 0;
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int i = 0; i < m; i++) s += a[i * n + j] * a[i * n + j];
            if (s > bestNorm) { bestNorm = s; best = j; }
        }
        if (best < 0) return false;
        for (int i = 0; i < m; i++) u[i] = a[i * n + best] / Math.Sqrt(bestNorm);
        return true;
    }

    /// <summary>Fills v with a seeded pseudo-random unit vector (entries uniform in [−1, 1), then normalised).</summary>
    internal static void RandomUnit(Span<double> v, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < v.Length; i++) v[i] = 2 * rng.NextDouble() - 1;
        double n = TensorPrimitives.Norm<double>(v);
        TensorPrimitives.Divide(v, n, v);
    }
}
