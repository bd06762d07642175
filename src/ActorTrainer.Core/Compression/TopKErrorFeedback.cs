namespace ActorTrainer.Core.Compression;

/// <summary>
/// Top-k sparsification with error feedback (Deep Gradient Compression without momentum correction;
/// DL4J's residual). With r the residual (zero at first) and a = g + r (float addition):
/// <code>
///   S = the k indices of largest |a|   (k = max(1, round(F·n)); ties at the k-th magnitude: lowest index first)
///   sent[i] = a[i] for i ∈ S, +0 otherwise;   r[i] = 0 for i ∈ S, a[i] otherwise
/// </code>
/// so sent + r == a exactly, element by element: nothing is lost, only delayed. A value left out keeps
/// growing in r until it is large enough to be sent. With a warm-up of W updates, a push computed on W's
/// version u &lt; W sends k(u) = max(k, round(n · 0.25 · (F/0.25)^(u/W))) values instead (DGC's density
/// warm-up, falling exponentially to F): early in a run the residual would delay most of each update by
/// a large part of the run (docs/traffic.md). Not thread-safe: one per worker (per slot).
/// </summary>
public sealed class TopKErrorFeedback : IGradientEncoder
{
    private readonly float[] _residual;   // (n) what was not sent yet
    private readonly float[] _magnitudes; // (n) scratch: |a|, reordered by the selection

    /// <summary>The fraction sent at the start of a warm-up (DGC's first warm-up epoch: 75% sparsity).</summary>
    public const double WarmupStart = 0.25;

    private readonly double _fraction;
    private readonly long _warmupUpdates;

    public TopKErrorFeedback(int length, double fraction, long warmupUpdates = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "top-k fraction must be in (0, 1]");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupUpdates);
        _residual = new float[length];
        _magnitudes = new float[length];
        _fraction = fraction;
        _warmupUpdates = warmupUpdates;
        K = Count(fraction);
    }

    /// <summary>Values sent per push after the warm-up.</summary>
    public int K { get; }

    /// <summary>Values sent by a push computed on W's version <paramref name="update"/>.</summary>
    public int KAt(long update)
    {
        if (update >= _warmupUpdates || _fraction >= WarmupStart) return K;
        double f = WarmupStart * Math.Pow(_fraction / WarmupStart, (double)Math.Max(0, update) / _warmupUpdates);
        return Math.Max(K, Count(f));
    }

    private int Count(double fraction) =>
        _residual.Length == 0 ? 0 : Math.Clamp((int)Math.Round(fraction * _residual.Length, MidpointRounding.AwayFromZero), 1, _residual.Length);
    public WireEncoding Wire => WireEncoding.Sparse;
    /// <summary>(n) what has not been sent yet, read-only.</summary>
    public ReadOnlySpan<float> Residual => _residual;

    /// <summary>Replaces <paramref name="g"/> (finite, length n) by the <see cref="KAt"/>(<paramref name="update"/>)
    /// values sent this time and keeps the rest in the residual.</summary>
    public void Encode(Span<float> g, long update)
    {
        if (g.Length != _residual.Length) throw new ArgumentException($"gradient has {g.Length} values, the encoder {_residual.Length}", nameof(g));
        int k = KAt(update);
        if (k == 0) return;
        for (int i = 0; i < g.Length; i++)
        {
            g[i] += _residual[i];                 // a = g + r
            _magnitudes[i] = MathF.Abs(g[i]);
        }
        float tau = KthLargest(_magnitudes, k);
        int above = 0;
        for (int i = 0; i < g.Length; i++) if (MathF.Abs(g[i]) > tau) above++;
        int ties = k - above;                     // values equal to τ to take, lowest index first
        for (int i = 0; i < g.Length; i++)
        {
            float a = g[i], m = MathF.Abs(a);
            bool send = m > tau || (m == tau && ties-- > 0);
            _residual[i] = send ? 0f : a;
            g[i] = send ? a : 0f;
        }
    }

    /// <summary>The k-th largest value of <paramref name="v"/> (reordered in place): Hoare's quickselect, median-of-three pivot.</summary>
    internal static float KthLargest(float[] v, int k)
    {
        if (k < 1 || k > v.Length) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {v.Length}]");
        int target = v.Length - k, lo = 0, hi = v.Length - 1; // position in ascending order
        while (lo < hi)
        {
            int mid = lo + (hi - lo) / 2;
            float pivot = Median(v[lo], v[mid], v[hi]);
            int i = lo, j = hi;
            while (i <= j)
            {
                while (v[i] < pivot) i++;
                while (v[j] > pivot) j--;
                if (i <= j) { (v[i], v[j]) = (v[j], v[i]); i++; j--; }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return v[target]; // between j and i every value equals the pivot
        }
        return v[target];
    }

    private static float Median(float a, float b, float c) =>
        a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
}
