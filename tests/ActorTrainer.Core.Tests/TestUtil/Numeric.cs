namespace ActorTrainer.Core.Tests.TestUtil;

/// <summary>The closeness rules of the numerical tests, in one place: vector-scaled (gradients,
/// losses) and magnitude-of-the-sum (kernels).</summary>
internal static class Numeric
{
    /// <summary>
    /// For every i: |actual[i] − expected[i]| ≤ rtol·max(|expected[i]|, floor·max_j|expected[j]|).
    /// The floor keeps entries that are tiny next to the rest of the vector from demanding more than
    /// the arithmetic can give; floor = 0 makes it a pure relative check (zeros must then match exactly).
    /// NaN anywhere fails.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rtol, string what, double floor = 1e-3)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        int i = FirstMismatch(expected, actual, rtol, floor);
        if (i < 0) return;
        double max = MaxAbs(expected), err = Math.Abs(actual[i] - expected[i]);
        Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (error {err:g3} > tolerance " +
                    $"{rtol * Math.Max(Math.Abs(expected[i]), floor * max):g3}; max |expected| {max:g3})");
    }

    /// <summary>Whether <see cref="AssertClose(ReadOnlySpan{double}, ReadOnlySpan{double}, double, string, double)"/> would fail:
    /// for asserting that a comparison can tell two results apart.</summary>
    public static bool Differ(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rtol, double floor = 1e-3)
        => FirstMismatch(expected, actual, rtol, floor) >= 0;

    private static int FirstMismatch(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rtol, double floor)
    {
        double max = MaxAbs(expected);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]), tol = rtol * Math.Max(Math.Abs(expected[i]), floor * max);
            if (!(err <= tol)) return i;
        }
        return -1;
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, string what, double floor = 1e-3)
        => AssertClose(ToDouble(expected), ToDouble(actual), rtol, what, floor);

    public static void AssertClose(double expected, double actual, double rtol, string what)
        => AssertClose([expected], [actual], rtol, what, floor: 0);

    public static double MaxAbs(ReadOnlySpan<double> x)
    {
        double m = 0;
        foreach (double v in x) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    /// <summary>‖a − b‖∞ / ‖b‖∞: how different two vectors are, for asserting that a test can tell them apart.</summary>
    public static double RelativeDifference(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m / MaxAbs(b);
    }

    public static double[] ToDouble(ReadOnlySpan<float> x)
    {
        var d = new double[x.Length];
        for (int i = 0; i < x.Length; i++) d[i] = x[i];
        return d;
    }

    /// <summary>
    /// The kernel tests' rule: errors judged against the size of what was summed.
    /// |expected[i] − actual[i]| ≤ rel·magnitude[i] + abs for every i, NaN only where NaN is expected.
    /// For GEMM the magnitude is |α|·Σ_p|a||b| + |β|·|c|, so cancellation does not make the check unfair.
    /// (AssertClose scales by the expected values themselves, which is right for gradients but would be
    /// unfair to a sum whose terms cancel.)
    /// </summary>
    public static void AssertWithinMagnitude(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, ReadOnlySpan<float> magnitude,
        double rel, string context, double abs = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], x = actual[i];
            if (float.IsNaN(e))
            {
                if (!float.IsNaN(x)) Assert.Fail($"{context}: [{i}] expected NaN, got {x}");
                continue;
            }
            if (e == x) continue; // covers infinities
            double err = Math.Abs((double)e - x);
            double tol = rel * magnitude[i] + abs;
            if (!(err <= tol))
                Assert.Fail($"{context}: [{i}] expected {e}, got {x} (error {err:g3} > tolerance {tol:g3})");
        }
    }

    /// <summary>Uniform values in [−1, 1) from a fixed seed.</summary>
    public static float[] Random(int length, int seed)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
