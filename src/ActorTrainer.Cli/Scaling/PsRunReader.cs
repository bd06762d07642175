using System.Globalization;
using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Scaling;

/// <summary>One row of a ps node's metrics.csv, as the sweep needs it.</summary>
/// <param name="Contributors">Gradients averaged into the update (sync: every active worker; else 1).</param>
/// <param name="ElapsedSeconds">The ps node's clock when the update was logged.</param>
public sealed record MetricsRow(long Update, long Version, int Contributors, long Staleness, long Tokens, double ElapsedSeconds);

/// <summary>
/// Reads what a finished ps node left in its run directory — metrics.csv, server.json and the
/// numbered model checkpoints — and derives the sweep's figures from them. Pure functions of the
/// files' contents; malformed input is an <see cref="InvalidDataException"/> naming the file and row.
/// </summary>
public static class PsRunReader
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The rows of metrics.csv (columns found by name), in file order.</summary>
    public static IReadOnlyList<MetricsRow> ParseMetrics(string csv, string source = "metrics.csv")
    {
        var rows = CsvReader.Parse(csv).Where(r => r.Length > 1 || (r.Length == 1 && r[0].Length > 0)).ToList();
        if (rows.Count == 0) throw new InvalidDataException($"{source} is empty (no header)");
        var header = rows[0];
        int Col(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i
            : throw new InvalidDataException($"{source} has no column '{name}' (header: {string.Join(",", header)})");
        int update = Col("update"), version = Col("version"), worker = Col("worker"), staleness = Col("staleness"), tokens = Col("tokens"), elapsed = Col("elapsed_s");
        int width = new[] { update, version, worker, staleness, tokens, elapsed }.Max() + 1;
        var result = new List<MetricsRow>(rows.Count - 1);
        for (int i = 1; i < rows.Count; i++)
        {
            var r = rows[i];
            if (r.Length < width) throw new InvalidDataException($"{source} row {i}: {r.Length} fields, expected at least {width}");
            try
            {
                result.Add(new MetricsRow(
                    long.Parse(r[update], Inv), long.Parse(r[version], Inv), r[worker].Split(';', StringSplitOptions.RemoveEmptyEntries).Length,
                    long.Parse(r[staleness], Inv), long.Parse(r[tokens], Inv), double.Parse(r[elapsed], NumberStyles.Float, Inv)));
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new InvalidDataException($"{source} row {i}: {e.Message}", e);
            }
        }
        return result;
    }

    public static IReadOnlyList<MetricsRow> ReadMetrics(string runDirectory)
    {
        string path = Path.Combine(runDirectory, "metrics.csv");
        return ParseMetrics(File.ReadAllText(path), path);
    }

    public static ServerSummary ReadSummary(string runDirectory) => ServerSummary.Read(Path.Combine(runDirectory, ServerSummary.FileName));

    /// <summary>The numbered model checkpoints (checkpoints/model-&lt;updates&gt;.safetensors), by update.</summary>
    public static IReadOnlyList<(long Updates, string Path)> Snapshots(string runDirectory)
    {
        string dir = Path.Combine(runDirectory, "checkpoints");
        if (!Directory.Exists(dir)) return [];
        return Directory.EnumerateFiles(dir, "model-*.safetensors")
            .Select(p => (Name: Path.GetFileNameWithoutExtension(p)["model-".Length..], Path: p))
            .Where(x => long.TryParse(x.Name, NumberStyles.None, Inv, out _))
            .Select(x => (long.Parse(x.Name, Inv), x.Path))
            .OrderBy(x => x.Item1).ToArray();
    }

    /// <summary>
    /// The timed window of a run of fresh processes: from its first applied update to its last, and the
    /// tokens applied in it (the first update's excluded — they were computed before the window). So the
    /// processes' start-up (joining, registering, the first chunk's JIT) is not in the throughput.
    /// One update or none: no window (0 tokens, 0 s).
    /// </summary>
    public static (long Tokens, double Seconds) TimedWindow(IReadOnlyList<MetricsRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count < 2) return (0, 0);
        return (rows.Skip(1).Sum(r => r.Tokens), Math.Max(0, rows[^1].ElapsedSeconds - rows[0].ElapsedSeconds));
    }

    /// <summary>Applied gradients by staleness, counted as the in-process sweep does: each update's
    /// staleness once per contributor (sync rounds take only current gradients, so 0 each).</summary>
    public static long[] StalenessCounts(IReadOnlyList<MetricsRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Any(r => r.Staleness < 0)) throw new InvalidDataException("metrics.csv has a negative staleness");
        var counts = new long[(rows.Count == 0 ? 0 : rows.Max(r => r.Staleness)) + 1];
        foreach (var r in rows) counts[r.Staleness] += r.Contributors;
        return counts;
    }

    /// <summary>1 − (compute seconds) ÷ (active seconds), summed over the worker nodes; NaN when any
    /// node's report is missing (it cannot be measured then, and a partial figure would mislead).</summary>
    public static double WorkerIdle(IReadOnlyList<WorkerComputeReport?> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count == 0 || reports.Any(r => r is null)) return double.NaN;
        double active = reports.Sum(r => r!.ActiveSeconds), compute = reports.Sum(r => r!.ComputeSeconds);
        return active > 0 ? Math.Clamp(1 - compute / active, 0, 1) : double.NaN;
    }
}
