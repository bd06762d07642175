using System.Numerics.Tensors;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Diagnostics;

/// <summary>
/// Result of a spectral-radius estimate: ρ = max |λ_i|, the iterations used, and whether the Ritz pair it
/// came from met the residual tolerance (false: ρ is the best estimate after maxIterations, e.g. when the
/// top eigenvalues of a large random matrix are nearly equal in modulus).
/// </summary>
public readonly record struct SpectralEstimate(double Radius, int Iterations, bool Converged);

/// <summary>
/// Spectral radius ρ(A) = max |λ_i| of a general real square matrix, and rescaling W_hh to a chosen ρ —
/// the quantity that decides whether products of Jacobians diag(φ')·W_hh vanish (ρ &lt; 1) or explode (ρ &gt; 1).
/// </summary>
public static class SpectralRadius
{
    private const double RoundingLevel = 64 * 1.1102230246251565e-16; // 64 unit roundoffs 2⁻⁵³ of double

    /// <summary>
    /// Estimates ρ(A) for A (n×n, row-major) by two-step power iteration with Rayleigh–Ritz on span{v, Av}:
    /// a real matrix's dominant eigenvalue may be a complex-conjugate pair (or ±λ), for which v never settles
    /// but the plane span{v, Av} does, so the plane's 2×2 projection has the pair as eigenvalues.
    /// Each iteration: w = Av, q = (w − (v·w)v)/‖·‖, z = Aq, H₂ = [v q]ᵀA[v q]; the Ritz values of H₂ are
    /// candidates; ρ is the largest |μ|, converged when its residual ‖Ay − μy‖ (y its Ritz vector) ≤ tolerance·ρ
    /// (or is at rounding level, 64·ε·‖A‖). When the dominant λ is real the plane tends to span{u₁, u₂} and the
    /// larger Ritz value still converges to λ. Then v ← A²v/‖A²v‖ (A²v = θw + βz comes free).
    /// Computed in double. Throws if a.Length ≠ n².
    /// </summary>
    public static SpectralEstimate Estimate(ReadOnlySpan<float> a, int n,
        double tolerance = 1e-10, int maxIterations = 20_000, int seed = 1)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "matrix size must be positive");
        if (a.Length != n * n) throw new ArgumentException($"matrix has length {a.Length}, expected n² = {n}²", nameof(a));
        return Estimate(Dense.ToDouble(a), n, tolerance, maxIterations, seed);
    }

    /// <inheritdoc cref="Estimate(ReadOnlySpan{float}, int, double, int, int)"/>
    public static SpectralEstimate Estimate(ReadOnlySpan<double> a, int n,
        double tolerance = 1e-10, int maxIterations = 20_000, int seed = 1)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "matrix size must be positive");
        if (a.Length != n * n) throw new ArgumentException($"matrix has length {a.Length}, expected n² = {n}²", nameof(a));
        if (maxIterations <= 0) throw new ArgumentOutOfRangeException(nameof(maxIterations), maxIterations, "must be positive");
        foreach (double x in a)
            if (!double.IsFinite(x)) throw new ArgumentException($"matrix has a non-finite entry ({x})", nameof(a));

        var v = new double[n]; var w = new double[n]; var q = new double[n]; var z = new double[n]; var r = new double[n];
        MatrixNorms.RandomUnit(v, seed);
        double rho = 0;
        for (int it = 1; it <= maxIterations; it++)
        {
            Dense.MatVec(a, n, n, v, w);                          // w = Av
            double theta = TensorPrimitives.Dot<double>(v, w);    // h11
            double scale = TensorPrimitives.Norm<double>(w);
            TensorPrimitives.MultiplyAdd(v, -theta, w, q);        // q = w − θv
            double beta = TensorPrimitives.Norm<double>(q);       // h21
            if (scale == 0) return new SpectralEstimate(0, it, true);   // Av = 0 for a generic v: A = 0
            if (beta <= 1e-15 * scale)
                return new SpectralEstimate(Math.Abs(theta), it, true); // v is an eigenvector: Av = θv
            TensorPrimitives.Divide(q, beta, q);
            Dense.MatVec(a, n, n, q, z);                          // z = Aq
            double h12 = TensorPrimitives.Dot<double>(v, z), h22 = TensorPrimitives.Dot<double>(q, z);
            scale = Math.Max(scale, TensorPrimitives.Norm<double>(z));
            // h32 = ‖z − h12 v − h22 q‖: how far A maps the plane out of itself
            TensorPrimitives.MultiplyAdd(v, -h12, z, r);
            TensorPrimitives.MultiplyAdd(q, -h22, r, r);
            double h32 = TensorPrimitives.Norm<double>(r);

            // converged: ‖Ay − μy‖ ≤ tol·|μ| (relative to the eigenvalue, not to ‖A‖: for a strongly non-normal A a
            // residual small against ‖A‖ can still leave μ far off), or down at rounding level of A.
            rho = LargestRitzModulus(theta, h12, beta, h22, h32, out double residual);
            if (residual <= tolerance * rho || residual <= RoundingLevel * scale) return new SpectralEstimate(rho, it, true);

            // v ← A²v / ‖A²v‖, with A²v = A(θv + βq) = θw + βz
            TensorPrimitives.Multiply(w, theta, r);
            TensorPrimitives.MultiplyAdd(z, beta, r, v);
            double nv = TensorPrimitives.Norm<double>(v);
            if (nv == 0) return new SpectralEstimate(0, it, true);  // A² annihilates v: every eigenvalue it sees is 0
            TensorPrimitives.Divide(v, nv, v);
        }
        return new SpectralEstimate(rho, maxIterations, false);
    }

    /// <summary>
    /// Ritz values μ of H₂ = [[h11, h12], [h21, h22]] (h21 &gt; 0); returns the largest |μ| and its residual
    /// ‖Ay − μy‖ = h32·|s₂|/‖s‖ with Ritz vector coordinates s = (μ − h22, h21).
    /// </summary>
    private static double LargestRitzModulus(double h11, double h12, double h21, double h22, double h32, out double residual)
    {
        double half = 0.5 * (h11 + h22);
        double det = h11 * h22 - h12 * h21;
        double disc = half * half - det;
        if (disc < 0)
        {
            // complex pair μ = half ± i·√−disc, both of modulus √det and with equal residuals
            residual = h32 * h21 / Math.Sqrt((half - h22) * (half - h22) - disc + h21 * h21);
            return Math.Sqrt(det);
        }
        double mu = half >= 0 ? half + Math.Sqrt(disc) : half - Math.Sqrt(disc); // the root of larger modulus
        residual = h32 * h21 / Math.Sqrt((mu - h22) * (mu - h22) + h21 * h21);
        return Math.Abs(mu);
    }

    /// <summary>
    /// Scales A (n×n) in place by c = target/ρ(A) so that ρ(A) = target (eigenvalues scale with A).
    /// Returns the estimate of ρ before scaling. Throws if target is negative or not finite, or if ρ(A) = 0 while
    /// target &gt; 0 (a nilpotent or zero matrix cannot be scaled to a positive radius).
    /// </summary>
    public static SpectralEstimate Rescale(Span<float> a, int n, double target,
        double tolerance = 1e-10, int maxIterations = 20_000, int seed = 1)
    {
        if (!(target >= 0) || double.IsInfinity(target))
            throw new ArgumentOutOfRangeException(nameof(target), target, "target spectral radius must be finite and ≥ 0");
        var est = Estimate(a, n, tolerance, maxIterations, seed);
        if (est.Radius == 0 && target > 0)
            throw new InvalidOperationException($"matrix has spectral radius 0; it cannot be rescaled to {target}");
        double c = target == 0 ? 0 : target / est.Radius;
        for (int i = 0; i < a.Length; i++) a[i] = (float)(a[i] * c);
        return est;
    }

    /// <summary>Rescales the W_hh block of the flat parameter vector W in place to spectral radius target; see <see cref="Rescale"/>.</summary>
    public static SpectralEstimate RescaleWhh(ModelShape shape, Span<float> w, double target,
        double tolerance = 1e-10, int maxIterations = 20_000, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (w.Length != shape.Count)
            throw new ArgumentException($"W has length {w.Length} but the model needs {shape.Count}", nameof(w));
        return Rescale(shape.Whh(w), shape.H, target, tolerance, maxIterations, seed);
    }

    /// <summary>ρ of the W_hh block of the flat parameter vector W.</summary>
    public static SpectralEstimate OfWhh(ModelShape shape, ReadOnlySpan<float> w,
        double tolerance = 1e-10, int maxIterations = 20_000, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (w.Length != shape.Count)
            throw new ArgumentException($"W has length {w.Length} but the model needs {shape.Count}", nameof(w));
        return Estimate(shape.Whh(w), shape.H, tolerance, maxIterations, seed);
    }
}
