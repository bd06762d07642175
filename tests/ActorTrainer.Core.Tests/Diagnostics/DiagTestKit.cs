namespace ActorTrainer.Core.Tests.Diagnostics;

/// <summary>Matrices with known spectra, random weights, and one magnitude-scaled closeness check.</summary>
internal static class DiagTestKit
{
    /// <summary>|actual − expected| ≤ tol·max(|expected|, floor): relative, with an absolute floor near 0.</summary>
    public static void AssertClose(double expected, double actual, double tol, string what, double floor = 1e-300)
    {
        double bound = tol * Math.Max(Math.Abs(expected), floor);
        Assert.True(Math.Abs(actual - expected) <= bound,
            $"{what}: expected {expected:R}, got {actual:R} (|diff| {Math.Abs(actual - expected):E3} > {bound:E3})");
    }

    /// <summary>Element-wise, scaled by the largest |expected| entry.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        foreach (double e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tol * scale,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (scale {scale:E3}, tol {tol:E1})");
    }

    /// <summary>C (n×n) = A·B.</summary>
    public static double[] Mul(double[] a, double[] b, int n)
    {
        var c = new double[n * n];
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int p = 0; p < n; p++) s += a[i * n + p] * b[p * n + j];
            c[i * n + j] = s;
        }
        return c;
    }

    /// <summary>Block-diagonal matrix from square blocks.</summary>
    public static double[] BlockDiag(params double[][] blocks)
    {
        int n = blocks.Sum(b => (int)Math.Round(Math.Sqrt(b.Length)));
        var a = new double[n * n];
        int at = 0;
        foreach (var b in blocks)
        {
            int m = (int)Math.Round(Math.Sqrt(b.Length));
            for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) a[(at + i) * n + at + j] = b[i * m + j];
            at += m;
        }
        return a;
    }

    /// <summary>r·R(θ): eigenvalues r·e^{±iθ}, a complex pair of modulus r.</summary>
    public static double[] ScaledRotation(double r, double theta) =>
        new[] { r * Math.Cos(theta), -r * Math.Sin(theta), r * Math.Sin(theta), r * Math.Cos(theta) };

    /// <summary>S·A·S⁻¹ with S unit upper-triangular with N(0, spread²) entries: same eigenvalues, non-normal.</summary>
    public static double[] Similar(double[] a, int n, double spread, int seed)
    {
        var rng = new Random(seed);
        var s = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            s[i * n + i] = 1;
            for (int j = i + 1; j < n; j++) s[i * n + j] = spread * Gaussian(rng);
        }
        // S⁻¹ by back-substitution, column by column: S x = e_j
        var sInv = new double[n * n];
        for (int j = 0; j < n; j++)
            for (int i = n - 1; i >= 0; i--)
            {
                double x = i == j ? 1 : 0;
                for (int p = i + 1; p < n; p++) x -= s[i * n + p] * sInv[p * n + j];
                sInv[i * n + j] = x;
            }
        return Mul(Mul(s, a, n), sInv, n);
    }

    /// <summary>Householder reflection I − 2vvᵀ/‖v‖²: symmetric and orthogonal.</summary>
    public static double[] Householder(int n, int seed)
    {
        var rng = new Random(seed);
        var v = Enumerable.Range(0, n).Select(_ => Gaussian(rng)).ToArray();
        double vv = v.Sum(x => x * x);
        var q = new double[n * n];
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) q[i * n + j] = (i == j ? 1 : 0) - 2 * v[i] * v[j] / vv;
        return q;
    }

    public static double[] Diag(params double[] d) => BlockDiag(d.Select(x => new[] { x }).ToArray());

    public static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static float[] RandomFloats(int n, double std, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(std * Gaussian(rng));
        return x;
    }

    public static float[] ToFloat(double[] x) => x.Select(v => (float)v).ToArray();
}
