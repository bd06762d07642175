using System.Globalization;
using ActorTrainer.Cli.Scaling;

namespace ActorTrainer.Cli.Cluster;

/// <summary>
/// What a worker node's workers computed, written by the node as one stderr line when the run has
/// finished, e.g. <c>worker compute: chunks=120 compute_s=8.412 active_s=9.730 gc_gen2=3</c>, so a
/// launcher (`scale --launcher cluster`) can tell compute from idle time without a shared clock:
/// compute_s is the wall time inside the chunk computation, active_s the span from the first chunk's
/// start to the last one's end (both summed over the node's workers), gc_gen2 the node's full GCs.
/// </summary>
public sealed record WorkerComputeReport(long Chunks, double ComputeSeconds, double ActiveSeconds, int Gen2Collections)
{
    public const string Prefix = "worker compute:";

    public static WorkerComputeReport Of(IEnumerable<TimedComputer> computers, int gen2Collections)
    {
        var all = computers.ToArray();
        return new(all.Sum(c => c.Chunks), all.Sum(c => c.ComputeSeconds), all.Sum(c => c.ActiveSeconds), gen2Collections);
    }

    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"{Prefix} chunks={Chunks} compute_s={ComputeSeconds:F6} active_s={ActiveSeconds:F6} gc_gen2={Gen2Collections}");

    /// <summary>The last report line in a node's stderr, or null when there is none or it is malformed.</summary>
    public static WorkerComputeReport? Find(string stderr)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        string? line = stderr.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        if (line is null) return null;
        var fields = line[Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(f => f.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        const NumberStyles number = NumberStyles.Float;
        var inv = CultureInfo.InvariantCulture;
        return fields.TryGetValue("chunks", out var c) && long.TryParse(c, NumberStyles.None, inv, out long chunks)
            && fields.TryGetValue("compute_s", out var cs) && double.TryParse(cs, number, inv, out double compute) && double.IsFinite(compute)
            && fields.TryGetValue("active_s", out var a) && double.TryParse(a, number, inv, out double active) && double.IsFinite(active)
            && fields.TryGetValue("gc_gen2", out var g) && int.TryParse(g, NumberStyles.None, inv, out int gen2)
            ? new WorkerComputeReport(chunks, compute, active, gen2)
            : null;
    }
}
