using System.Numerics.Tensors;

namespace ActorTrainer.Core.Diagnostics;

/// <summary>
/// The few dense double-precision operations the diagnostics need, row-major, written as
/// row dots and row axpys so that <see cref="TensorPrimitives"/> does the vector work.
/// Diagnostics run in double: they measure products of many Jacobians, where float rounding
/// and range would blur exactly the effects being shown.
/// </summary>
internal static class Dense
{
    /// <summary>y (m) = A (m×n) · x (n). y must not alias x.</summary>
    public static void MatVec(ReadOnlySpan<double> a, int m, int n, ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < m; i++)
            y[i] = TensorPrimitives.Dot(a.Slice(i * n, n), x);
    }

    /// <summary>y (n) = Aᵀ · x, A (m×n), x (m). y must not alias x.</summary>
    public static void MatTVec(ReadOnlySpan<double> a, int m, int n, ReadOnlySpan<double> x, Span<double> y)
    {
        y.Slice(0, n).Clear();
        for (int i = 0; i < m; i++)
            if (x[i] != 0) TensorPrimitives.MultiplyAdd(a.Slice(i * n, n), x[i], y.Slice(0, n), y.Slice(0, n));
    }

    /// <summary>C (m×n) += α · u (m) ⊗ v (n).</summary>
    public static void AddOuter(Span<double> c, int m, int n, ReadOnlySpan<double> u, ReadOnlySpan<double> v, double alpha = 1)
    {
        for (int i = 0; i < m; i++)
        {
            double ui = alpha * u[i];
            if (ui != 0) TensorPrimitives.MultiplyAdd(v.Slice(0, n), ui, c.Slice(i * n, n), c.Slice(i * n, n));
        }
    }

    /// <summary>C (m×n) = A (m×k) · B (k×n). C must not alias A or B.</summary>
    public static void MatMul(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int m, int k, int n, Span<double> c)
    {
        for (int i = 0; i < m; i++)
        {
            var ci = c.Slice(i * n, n);
            ci.Clear();
            // row i of C = Σ_p A[i,p] · row p of B
            for (int p = 0; p < k; p++)
            {
                double aip = a[i * k + p];
                if (aip != 0) TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), aip, ci, ci);
            }
        }
    }

    /// <summary>Copies a float span into a new double array.</summary>
    public static double[] ToDouble(ReadOnlySpan<float> x)
    {
        var d = new double[x.Length];
        for (int i = 0; i < x.Length; i++) d[i] = x[i];
        return d;
    }
}
