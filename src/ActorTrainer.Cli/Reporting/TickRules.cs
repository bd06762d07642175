using System.Globalization;
using ScottPlot;

namespace ActorTrainer.Cli.Reporting;

/// <summary>
/// Where the ticks of an axis go and what they say, one rule per <see cref="AxisScale"/>. Steps are
/// 1, 2 or 5 × 10ⁿ, as few as fit the axis; one axis uses one label format throughout (plain decimals
/// with the same number of places, or powers of ten on a log axis that leaves 0.001 … 10 000).
/// </summary>
public static class TickRules
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly double[] Mantissas = [1, 2, 5];

    /// <summary>A ScottPlot tick generator that applies <paramref name="scale"/>'s rule to the visible range.</summary>
    public static ITickGenerator For(AxisScale scale) => new Generator(scale switch
    {
        AxisScale.Integer => Integer,
        AxisScale.Log10 => Log10,
        _ => Linear,
    });

    /// <summary>How many labelled ticks an axis of this many pixels holds (a label such as "1,500,000" needs ~75 px across, ~30 px up).</summary>
    public static int MaxTicks(float pixels, bool horizontal) => Math.Max(2, (int)(pixels / (horizontal ? 75 : 30)));

    /// <summary>The smallest step of 1, 2 or 5 × 10ⁿ, at least <paramref name="min"/>, that puts at most <paramref name="maxTicks"/> ticks on [lo, hi].</summary>
    public static double NiceStep(double lo, double hi, int maxTicks, double min = 0)
    {
        double raw = Math.Max((hi - lo) / Math.Max(1, maxTicks - 1), min);
        if (!(raw > 0) || !double.IsFinite(raw)) return Math.Max(min, 1);
        double decade = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (double m in (double[])[1, 2, 5, 10])
            if (m * decade >= raw * (1 - 1e-9)) return Math.Max(min, m * decade);
        return 10 * decade;
    }

    /// <summary>Ticks at the integers that are multiples of a 1-2-5 step ≥ 1, labelled without decimals.</summary>
    public static Tick[] Integer(double lo, double hi, int maxTicks)
    {
        if (!Usable(lo, hi)) return [];
        double step = NiceStep(lo, hi, maxTicks, min: 1);
        return Multiples(lo, hi, step).Select(v => Tick.Major(v, v.ToString("N0", Inv))).ToArray();
    }

    /// <summary>Ticks at multiples of a 1-2-5 step, all labelled with the decimals the step needs (0.5 → "1.5", 2 → "12", 0.02 → "0.10").</summary>
    public static Tick[] Linear(double lo, double hi, int maxTicks)
    {
        if (!Usable(lo, hi)) return [];
        double step = NiceStep(lo, hi, maxTicks);
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        return Multiples(lo, hi, step).Select(v => Tick.Major(v, Plain(v, decimals))).ToArray();
    }

    /// <summary>
    /// For an axis that shows log10(value): major ticks at decades (every 2nd, 5th, … when they are
    /// many), or at 1, 2 and 5 × 10ⁿ when fewer than three decade ticks show and those fit; minor ticks
    /// at 2…9 × 10ⁿ between adjacent decade ticks, or at the decades left unlabelled. Labels are plain numbers when every one lies in [0.001, 10 000], else powers of ten.
    /// </summary>
    public static Tick[] Log10(double lo, double hi, int maxTicks)
    {
        if (!Usable(lo, hi)) return [];
        double stride = NiceStep(lo, hi, maxTicks, min: 1);
        var majors = Multiples(lo, hi, stride).ToList();
        var oneTwoFive = Decades(lo, hi).SelectMany(d => Mantissas.Select(m => d + Math.Log10(m)))
            .Where(p => p >= lo - 1e-9 && p <= hi + 1e-9).ToList();
        bool decadesOnly = majors.Count >= 3 || (majors.Count == 2 && oneTwoFive.Count > maxTicks);
        if (!decadesOnly)
        {
            majors = oneTwoFive;
            if (majors.Count < 2) // less than a factor 2.5 in view: plain linear steps in value space
                majors = Multiples(Math.Pow(10, lo), Math.Pow(10, hi), NiceStep(Math.Pow(10, lo), Math.Pow(10, hi), maxTicks))
                    .Where(v => v > 0).Select(Math.Log10).ToList();
        }
        var values = majors.Select(p => Math.Pow(10, p)).ToArray();
        bool plain = values.All(v => v >= 1e-3 * (1 - 1e-9) && v <= 1e4 * (1 + 1e-9));
        var ticks = majors.Select((p, i) => Tick.Major(p, plain ? Minimal(values[i]) : Power(values[i]))).ToList();
        if (decadesOnly && stride == 1)
            foreach (double d in Decades(lo - 1, hi))
                for (int m = 2; m <= 9; m++)
                    if (d + Math.Log10(m) is var p && p >= lo && p <= hi) ticks.Add(Tick.Minor(p));
        if (decadesOnly && stride > 1) // unlabelled decades between the labelled ones
            ticks.AddRange(Decades(lo, hi).Where(d => d >= lo && d <= hi && !majors.Contains(d)).Select(Tick.Minor));
        return ticks.ToArray();
    }

    private static bool Usable(double lo, double hi) => double.IsFinite(lo) && double.IsFinite(hi) && hi > lo;

    /// <summary>k·step for every integer k with k·step in [lo, hi], rounded to the step's precision.</summary>
    private static IEnumerable<double> Multiples(double lo, double hi, double step)
    {
        long first = (long)Math.Ceiling(lo / step - 1e-9), last = (long)Math.Floor(hi / step + 1e-9);
        int digits = Math.Clamp(-(int)Math.Floor(Math.Log10(step)) + 1, 0, 15);
        for (long k = first; k <= last; k++) yield return step >= 1 ? k * step : Math.Round(k * step, digits);
    }

    private static IEnumerable<double> Decades(double lo, double hi)
    {
        for (double d = Math.Floor(lo); d <= Math.Ceiling(hi); d++) yield return d;
    }

    private static string Plain(double v, int decimals) => (v == 0 ? 0 : v).ToString("N" + decimals, Inv);

    /// <summary>A positive value with as few decimals as it needs: 0.002, 0.5, 20, 5,000.</summary>
    private static string Minimal(double v)
    {
        int decimals = 0;
        while (decimals < 6 && Math.Abs(Math.Round(v, decimals) - v) > 1e-9 * v) decimals++;
        return v.ToString("N" + decimals, Inv);
    }

    /// <summary>10ⁿ, or m×10ⁿ for m = 2 … 9, with superscript digits.</summary>
    private static string Power(double v)
    {
        int n = (int)Math.Floor(Math.Log10(v) + 1e-9);
        int m = (int)Math.Round(v / Math.Pow(10, n));
        string exponent = string.Concat(n.ToString(Inv).Select(c => c switch
        {
            '-' => '⁻', '0' => '⁰', '1' => '¹', '2' => '²', '3' => '³', '4' => '⁴',
            '5' => '⁵', '6' => '⁶', '7' => '⁷', '8' => '⁸', _ => '⁹',
        }));
        return (m == 1 ? "" : m.ToString(Inv) + "×") + "10" + exponent;
    }

    private sealed class Generator(Func<double, double, int, Tick[]> rule) : ITickGenerator
    {
        public Tick[] Ticks { get; set; } = [];
        public int MaxTickCount { get; set; } = 1000;

        public void Regenerate(CoordinateRange range, Edge edge, PixelLength size, Paint paint, LabelStyle labelStyle) =>
            Ticks = rule(range.Min, range.Max, Math.Min(MaxTickCount, MaxTicks(size.Length, edge is Edge.Bottom or Edge.Top)));
    }
}
