using System.Globalization;
using ActorTrainer.Cli.Scaling;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Tests.Scaling;

/// <summary>Checks every sweep's outputs must pass, whichever launcher ran it.</summary>
internal static class SweepOutputs
{
    public static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    /// <summary>results.csv with exactly the documented columns, as one dictionary per configuration.</summary>
    public static List<Dictionary<string, string>> Results(string dir)
    {
        var results = CsvReader.ReadAll(Path.Combine(dir, ScaleReport.ResultsCsv)).Where(r => r.Length > 1).ToList();
        Assert.Equal(ScaleReport.ResultColumns, results[0]);
        return results.Skip(1).Select(r => ScaleReport.ResultColumns.Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
    }

    /// <summary>curves.csv: per configuration, starts at W0, versions (and wall time) never go back, and the last point is the final W.</summary>
    public static void CurvesStartAtW0AndEndAtTheFinalLoss(string dir, IReadOnlyList<Dictionary<string, string>> rows)
    {
        var curves = CsvReader.ReadAll(Path.Combine(dir, ScaleReport.CurvesCsv)).Where(r => r.Length > 1).ToList();
        Assert.Equal(ScaleReport.CurveColumns, curves[0]);
        foreach (var g in curves.Skip(1).GroupBy(r => r[0]))
        {
            var points = g.ToList();
            Assert.True(points.Count >= 3, $"{g.Key} has {points.Count} curve points");
            Assert.Equal(("0", "0"), (points[0][1], points[0][3]));
            for (int i = 1; i < points.Count; i++)
            {
                Assert.True(long.Parse(points[i][3]) > long.Parse(points[i - 1][3]), $"{g.Key}: version {points[i][3]} after {points[i - 1][3]}");
                Assert.True(D(points[i][1]) >= D(points[i - 1][1]), $"{g.Key}: time goes back");
            }
            var row = rows.Single(r => r["config"] == g.Key);
            Assert.Equal(D(row["final_val_loss"]), D(points[^1][5]), 12);
        }
        Assert.Equal(rows.Select(r => r["config"]).Order(), curves.Skip(1).Select(r => r[0]).Distinct().Order());
    }

    /// <summary>Every plot is a valid, non-trivial PNG of the plot size.</summary>
    public static void PlotsAreNonTrivialPngs(string dir)
    {
        foreach (string png in new[] { ScaleReport.ThroughputPng, ScaleReport.LossPng, ScaleReport.StalenessPng, ScaleReport.StalenessByConfigPng })
            CliHarness.AssertPng(Path.Combine(dir, png));
    }
}
