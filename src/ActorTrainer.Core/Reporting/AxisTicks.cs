using System.Globalization;

namespace ActorTrainer.Core.Reporting;

/// <summary>An axis range and its labelled tick values.</summary>
public sealed record AxisTicks(double Min, double Max, IReadOnlyList<double> Ticks, bool Log)
{
    /// <summary>
    /// Linear axis covering [lo, hi], widened to multiples of a "nice" step (1, 2, 2.5 or 5 × 10ᵏ)
    /// giving about <paramref name="target"/> ticks (Heckbert's nice numbers). A degenerate range is
    /// widened around its value; a non-finite one becomes [0, 1].
    /// </summary>
    public static AxisTicks Linear(double lo, double hi, int target = 6)
    {
        if (!double.IsFinite(lo) || !double.IsFinite(hi)) (lo, hi) = (0, 1);
        if (lo > hi) (lo, hi) = (hi, lo);
        if (hi - lo < 1e-12 * Math.Max(1, Math.Abs(hi)))
        {
            double pad = Math.Abs(lo) > 0 ? Math.Abs(lo) * 0.1 : 1;
            lo -= pad; hi += pad;
        }
        double step = NiceStep((hi - lo) / Math.Max(1, target - 1));
        double min = Math.Floor(lo / step) * step, max = Math.Ceiling(hi / step) * step;
        var ticks = new List<double>();
        for (int i = 0; ; i++)
        {
            double t = min + i * step;
            if (t > max + step * 1e-9) break;
            ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t); // no "-0" or 1e-17 from rounding
        }
        return new AxisTicks(min, max, ticks, Log: false);
    }

    /// <summary>
    /// Log-10 axis covering [lo, hi] (both &gt; 0), widened to whole decades; ticks at powers of ten,
    /// plus 2× and 5× when the axis spans at most two decades; every m-th decade when it spans many.
    /// </summary>
    public static AxisTicks Log10(double lo, double hi)
    {
        if (!(lo > 0) || !(hi > 0) || !double.IsFinite(lo) || !double.IsFinite(hi))
            throw new ArgumentOutOfRangeException(nameof(lo), $"log axis range [{lo}, {hi}] must be positive and finite");
        if (lo > hi) (lo, hi) = (hi, lo);
        int a = (int)Math.Floor(Math.Log10(lo) + 1e-12), b = (int)Math.Ceiling(Math.Log10(hi) - 1e-12);
        if (b <= a) b = a + 1;
        int decades = b - a, every = Math.Max(1, (int)Math.Ceiling(decades / 8.0));
        var ticks = new List<double>();
        for (int k = a; k <= b; k++)
        {
            if ((k - a) % every != 0) continue;
            double p = Math.Pow(10, k);
            ticks.Add(p);
            if (decades <= 2 && k < b) { ticks.Add(2 * p); ticks.Add(5 * p); }
        }
        return new AxisTicks(Math.Pow(10, a), Math.Pow(10, b), ticks, Log: true);
    }

    /// <summary>Position of v along the axis in [0, 1] (log-scaled on a log axis).</summary>
    public double Fraction(double v) => Log
        ? (Math.Log10(v) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min))
        : (v - Min) / (Max - Min);

    /// <summary>Short invariant-culture label: "0.25", "1500", "1e-05", "2.5e+06".</summary>
    public static string Format(double v)
    {
        if (v == 0) return "0";
        double a = Math.Abs(v);
        return a >= 1e-3 && a < 1e6
            ? v.ToString("0.####", CultureInfo.InvariantCulture)
            : v.ToString("0.##e+0", CultureInfo.InvariantCulture);
    }

    /// <summary>The nice number (1, 2, 2.5, 5 × 10ᵏ) nearest above a raw step.</summary>
    private static double NiceStep(double raw)
    {
        double p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / p;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
        return nice * p;
    }
}
