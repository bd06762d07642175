using System.Diagnostics;

namespace ActorTrainer.Core.Kernels;

/// <summary>
/// Throughput of <see cref="Gemm.Sgemm"/> (or the reference) on one shape, for `bench gemm`.
/// C = A·B + C (β = 1, as the RNN engine accumulates) on fixed-seed data, single-threaded.
/// The run is split into short batches (~20 ms) after a warm-up; the best batch is reported, since
/// other processes sharing the cores only ever slow a batch down, and short batches often escape them.
/// </summary>
public static class GemmBenchmark
{
    /// <summary>GFLOP/s (2·m·n·k per call) of the fast GEMM on this shape, best batch over <paramref name="duration"/>.</summary>
    public static double Run(int m, int n, int k, Transpose ta, Transpose tb, TimeSpan duration)
        => Measure(m, n, k, ta, tb, duration, GemmIsas.Best, reference: false);

    /// <summary>GFLOP/s of <see cref="GemmReference.Sgemm"/> on the same shape, for comparison.</summary>
    public static double RunReference(int m, int n, int k, Transpose ta, Transpose tb, TimeSpan duration)
        => Measure(m, n, k, ta, tb, duration, GemmIsa.Scalar, reference: true);

    internal static double Measure(int m, int n, int k, Transpose ta, Transpose tb, TimeSpan duration, GemmIsa isa, bool reference)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (duration <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "Duration must be positive.");
        int lda = ta == Transpose.No ? k : m, ldb = tb == Transpose.No ? n : k;
        float[] a = Fill(m * k, 1), b = Fill(k * n, 2), c = Fill(m * n, 3);

        void Call()
        {
            if (reference) GemmReference.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 1f, c, n);
            else Gemm.Sgemm(isa, ta, tb, m, n, k, 1f, a, lda, b, ldb, 1f, c, n);
        }

        // Warm-up: enough calls for caches to settle, bounded by a tenth of the budget.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 60 && warm.Elapsed < duration / 10; i++) Call();

        TimeSpan batchBudget = TimeSpan.FromMilliseconds(20);
        int batches = Math.Max(3, (int)(duration / batchBudget));
        double flopsPerCall = 2.0 * m * n * k, best = 0;
        for (int batch = 0; batch < batches; batch++)
        {
            long calls = 0;
            var sw = Stopwatch.StartNew();
            do { Call(); calls++; } while (sw.Elapsed < batchBudget);
            best = Math.Max(best, flopsPerCall * calls / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    private static float[] Fill(int length, int seed)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
