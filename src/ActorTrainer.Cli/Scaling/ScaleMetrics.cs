namespace ActorTrainer.Cli.Scaling;

/// <summary>The sweep's derived figures, as plain functions of the measured ones.</summary>
public static class ScaleMetrics
{
    /// <summary>
    /// Speedup = throughput_n / throughput_1, efficiency = throughput_n / (n · throughput_1) and core
    /// efficiency = throughput_n / (min(n, cores) · throughput_1), each against the 1-worker result of
    /// the same group (mode, k, shards); null where the group has no 1-worker result.
    /// </summary>
    public static IReadOnlyList<ConfigResult> WithSpeedups(IReadOnlyList<ConfigResult> results, int cores)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (cores <= 0) throw new ArgumentOutOfRangeException(nameof(cores), cores, "core count must be positive");
        var baseline = results.Where(r => r.Config.Workers == 1).GroupBy(r => r.Config.Group).ToDictionary(g => g.Key, g => g.First().TokensPerSecond);
        return results.Select(r =>
        {
            if (!baseline.TryGetValue(r.Config.Group, out double one) || one <= 0) return r with { Speedup = null, Efficiency = null, CoreEfficiency = null };
            double speedup = r.TokensPerSecond / one;
            int n = r.Config.Workers;
            return r with { Speedup = speedup, Efficiency = speedup / n, CoreEfficiency = speedup / Math.Min(n, cores) };
        }).ToArray();
    }

    /// <summary>The first curve point at or below <paramref name="target"/>: its wall time, or null.</summary>
    public static double? TimeToTarget(IReadOnlyList<CurvePoint> curve, double target) =>
        curve.FirstOrDefault(p => p.Loss <= target) is { } hit ? hit.WallSeconds : null;

    /// <summary>Nearest-rank percentile q ∈ (0, 1] of values given as counts by value; 0 when empty.</summary>
    public static long Percentile(IReadOnlyList<long> countsByValue, double q)
    {
        if (!(q > 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "percentile must be in (0, 1]");
        long total = countsByValue.Sum();
        if (total == 0) return 0;
        long rank = (long)Math.Ceiling(q * total), seen = 0;
        for (int v = 0; v < countsByValue.Count; v++)
        {
            seen += countsByValue[v];
            if (seen >= rank) return v;
        }
        return countsByValue.Count - 1;
    }

    /// <summary>Mean of values given as counts by value; 0 when empty.</summary>
    public static double Mean(IReadOnlyList<long> countsByValue)
    {
        long total = countsByValue.Sum();
        if (total == 0) return 0;
        double sum = 0;
        for (int v = 0; v < countsByValue.Count; v++) sum += (double)v * countsByValue[v];
        return sum / total;
    }
}
