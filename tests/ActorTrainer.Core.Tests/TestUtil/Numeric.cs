namespace ActorTrainer.Core.Tests.TestUtil;

/// <summary>The one magnitude-scaled closeness rule for the numerical tests.</summary>
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
        double max = MaxAbs(expected);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double err = Math.Abs(a - e), tol = rtol * Math.Max(Math.Abs(e), floor * max);
            if (!(err <= tol))
                Assert.Fail($"{what}[{i}]: expected {e:R}, got {a:R} (error {err:g3} > tolerance {tol:g3}; max |expected| {max:g3})");
        }
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
}
