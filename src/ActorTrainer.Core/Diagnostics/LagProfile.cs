using System.Globalization;
using System.Text;

namespace ActorTrainer.Core.Diagnostics;

/// <summary>
/// Summary of one quantity measured at lag k over many samples (positions t, streams).
/// GeometricMean = exp(mean log x) is the natural average of products of Jacobians (it is 0 if any sample is 0);
/// Log10GeometricMean = mean log₁₀ x is the same on a log scale and stays finite where ρ^k overflows double.
/// </summary>
public sealed record LagStats(int Lag, int Samples, double Mean, double GeometricMean, double Median, double Min, double Max,
    double Log10GeometricMean)
{
    /// <summary>Summarises samples given as natural logarithms (−∞ for an exact 0), so huge or tiny norms keep their digits.</summary>
    internal static LagStats FromLogs(int lag, List<double> logs)
    {
        if (logs.Count == 0) throw new ArgumentException($"no samples at lag {lag}", nameof(logs));
        var sorted = logs.ToArray();
        Array.Sort(sorted);
        double sum = 0, sumLog = 0;
        foreach (double l in sorted) { sum += Math.Exp(l); sumLog += l; }
        int n = sorted.Length;
        double median = n % 2 == 1 ? Math.Exp(sorted[n / 2]) : 0.5 * (Math.Exp(sorted[n / 2 - 1]) + Math.Exp(sorted[n / 2]));
        return new LagStats(lag, n, sum / n, Math.Exp(sumLog / n), median, Math.Exp(sorted[0]), Math.Exp(sorted[^1]),
            sumLog / n / Math.Log(10));
    }
}

/// <summary>A table of <see cref="LagStats"/>, one row per lag k = 1..K (in order), for a named quantity.</summary>
public sealed record LagProfile(string Quantity, IReadOnlyList<LagStats> Rows)
{
    /// <summary>The row for lag k.</summary>
    public LagStats At(int lag) =>
        Rows.FirstOrDefault(r => r.Lag == lag) ?? throw new ArgumentOutOfRangeException(nameof(lag), lag, $"no row for this lag in '{Quantity}'");

    /// <summary>Tab-separated table after a '# quantity' line: lag, samples, mean, geomean, median, min, max, log10 geomean (invariant culture).</summary>
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.Append("# ").AppendLine(Quantity);
        sb.AppendLine("lag\tsamples\tmean\tgeomean\tmedian\tmin\tmax\tlog10_geomean");
        foreach (var r in Rows)
            sb.AppendLine(string.Join('\t',
                r.Lag.ToString(CultureInfo.InvariantCulture), r.Samples.ToString(CultureInfo.InvariantCulture),
                F(r.Mean), F(r.GeometricMean), F(r.Median), F(r.Min), F(r.Max), F(r.Log10GeometricMean)));
        return sb.ToString();
    }

    private static string F(double x) => x.ToString("G6", CultureInfo.InvariantCulture);
}
