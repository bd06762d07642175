namespace ActorTrainer.Core.Tests.Kernels;

/// <summary>The one tolerance rule for kernel tests: errors are judged against the size of what was summed.</summary>
internal static class Close
{
    /// <summary>
    /// |expected[i] − actual[i]| ≤ rel·magnitude[i] + abs for every i, NaN only where NaN is expected.
    /// For GEMM the magnitude is |α|·Σ_p|a||b| + |β|·|c|, so cancellation does not make the check unfair.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, ReadOnlySpan<float> magnitude,
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
