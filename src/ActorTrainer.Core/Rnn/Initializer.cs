using ActorTrainer.Core.Diagnostics;

namespace ActorTrainer.Core.Rnn;

/// <summary>Distribution of the initial weights.</summary>
public enum InitDistribution
{
    /// <summary>Uniform in ±scale/√fan_in.</summary>
    Uniform,
    /// <summary>Normal with mean 0 and standard deviation scale/√fan_in.</summary>
    Normal,
}

/// <summary>
/// How to initialise W: distribution, a multiplier on the 1/√fan_in width, and optionally the spectral
/// radius Whh is rescaled to (null keeps it as drawn), estimated to relative accuracy 1e-6 within at most
/// PowerIterations iterations (see <see cref="SpectralRadius.Estimate(ReadOnlySpan{float}, int, double, int, int)"/>).
/// </summary>
public sealed record InitOptions(
    InitDistribution Distribution = InitDistribution.Uniform,
    double Scale = 1.0,
    double? WhhSpectralRadius = null,
    int PowerIterations = 1000);

/// <summary>
/// Seeded initialisation of a flat W: weight blocks small random (fan_in: V for Wxh, H for Whh and
/// Why), biases Bh and By zero, Whh optionally rescaled to a spectral radius. Same seed, same W.
/// </summary>
public static class Initializer
{
    /// <summary>A new W (length shape.Count) filled by <see cref="Fill"/>.</summary>
    public static float[] Create(ModelShape shape, int seed, InitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var w = new float[shape.Count];
        Fill(shape, w, seed, options);
        return w;
    }

    /// <summary>Overwrites w (length shape.Count) with a seeded initial W.</summary>
    /// <exception cref="ArgumentException">Wrong length; scale not finite and positive; spectral radius negative or not finite.</exception>
    public static void Fill(ModelShape shape, Span<float> w, int seed, InitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        options ??= new InitOptions();
        if (w.Length != shape.Count) throw new ArgumentException($"w has length {w.Length}, expected {shape.Count}.", nameof(w));
        if (!(options.Scale > 0) || double.IsInfinity(options.Scale))
            throw new ArgumentOutOfRangeException(nameof(options), options.Scale, "Scale must be finite and positive.");
        if (options.WhhSpectralRadius is { } rho && (!(rho >= 0) || double.IsInfinity(rho)))
            throw new ArgumentOutOfRangeException(nameof(options), rho, "The spectral radius must be finite and ≥ 0.");
        if (options.PowerIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.PowerIterations, "PowerIterations must be positive.");

        var rng = new Random(seed);
        Draw(shape.Wxh(w), shape.V, options, rng);
        Draw(shape.Whh(w), shape.H, options, rng);
        shape.Bh(w).Clear();
        Draw(shape.Why(w), shape.H, options, rng);
        shape.By(w).Clear();

        if (options.WhhSpectralRadius is { } target)
            SpectralRadius.RescaleWhh(shape, w, target, tolerance: 1e-6, maxIterations: options.PowerIterations);
    }

    private static void Draw(Span<float> block, int fanIn, InitOptions options, Random rng)
    {
        double width = options.Scale / Math.Sqrt(fanIn);
        for (int i = 0; i < block.Length; i++)
            block[i] = (float)(options.Distribution switch
            {
                InitDistribution.Uniform => (2 * rng.NextDouble() - 1) * width,
                InitDistribution.Normal => Gaussian(rng) * width,
                _ => throw new ArgumentOutOfRangeException(nameof(options), options.Distribution, "Unknown distribution."),
            });
    }

    /// <summary>Standard normal by Box–Muller (one of the pair).</summary>
    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();                   // (0, 1], so the log is finite
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
