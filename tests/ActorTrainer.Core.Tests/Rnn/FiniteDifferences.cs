namespace ActorTrainer.Core.Tests.Rnn;

/// <summary>Central finite differences in double on a loss of W.</summary>
internal static class FiniteDifferences
{
    /// <summary>
    /// ∂loss/∂w[i] by the 4-point central stencil (8(L(+h) − L(−h)) − (L(+2h) − L(−2h))) / 12h, error O(h⁴).
    /// </summary>
    public static double Derivative(Func<double[], double> loss, double[] w, int i, double h = 1e-5)
    {
        double at(double delta)
        {
            var p = (double[])w.Clone();
            p[i] += delta;
            return loss(p);
        }
        return (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h);
    }

    /// <summary>
    /// Indices to check: every entry of blocks with at most 64 entries, a seeded sample of 24 of larger ones.
    /// </summary>
    public static IEnumerable<int> Entries(IReadOnlyList<(string Name, int Offset, int[] Dims)> blocks, int seed = 7)
    {
        var rng = new Random(seed);
        foreach (var (_, offset, dims) in blocks)
        {
            int size = dims.Aggregate(1, (a, d) => a * d);
            if (size <= 64) for (int j = 0; j < size; j++) yield return offset + j;
            else foreach (int j in Enumerable.Range(0, size).OrderBy(_ => rng.Next()).Take(24).Order()) yield return offset + j;
        }
    }
}
