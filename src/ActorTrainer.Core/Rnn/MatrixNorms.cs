namespace ActorTrainer.Core.Rnn;

/// <summary>Norms and spectral estimates of small square matrices (e.g. Whh), row-major n×n.</summary>
public static class MatrixNorms
{
    /// <summary>
    /// Estimates the spectral radius ρ(M) = max |λ| of the n×n row-major matrix m by power iteration:
    /// x ← M·x / ‖M·x‖ from a fixed start, ρ ≈ geometric mean of the growth factors ‖M·x‖ over the second
    /// half of the iterations. The geometric mean also converges when the dominant eigenvalues are a
    /// complex pair (the per-step growth then oscillates); the error shrinks like 1/iters in that case.
    /// Returns 0 for a nilpotent matrix (x reaches 0). Deterministic.
    /// </summary>
    /// <exception cref="ArgumentException">m.Length ≠ n·n, n &lt; 1 or iters &lt; 2.</exception>
    public static double SpectralRadius(ReadOnlySpan<float> m, int n, int iters)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be positive.");
        if (m.Length != n * n) throw new ArgumentException($"m has length {m.Length}, expected n·n = {n * n}.", nameof(m));
        if (iters < 2) throw new ArgumentOutOfRangeException(nameof(iters), iters, "Need at least 2 iterations.");
        var x = new double[n];
        var y = new double[n];
        var rng = new Random(0x5EED);                 // fixed start, generic w.p. 1
        for (int i = 0; i < n; i++) x[i] = rng.NextDouble() - 0.5;
        Normalize(x);
        double logSum = 0;
        int counted = 0;
        for (int it = 0; it < iters; it++)
        {
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int j = 0; j < n; j++) s += m[i * n + j] * x[j];
                y[i] = s;
            }
            double norm = Normalize(y);
            if (norm == 0) return 0;
            if (it >= iters / 2) { logSum += Math.Log(norm); counted++; }
            (x, y) = (y, x);
        }
        return Math.Exp(logSum / counted);
    }

    private static double Normalize(double[] v)
    {
        double s = 0;
        foreach (double e in v) s += e * e;
        double norm = Math.Sqrt(s);
        if (norm > 0) for (int i = 0; i < v.Length; i++) v[i] /= norm;
        return norm;
    }
}
