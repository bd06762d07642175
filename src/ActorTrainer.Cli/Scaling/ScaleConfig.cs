using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Scaling;

/// <summary>A consistency mode with its ssp bound s (0 for sync and async).</summary>
public readonly record struct ModeSpec(ConsistencyMode Mode, int Staleness)
{
    /// <summary>"sync", "async", "ssp" (s = <paramref name="defaultStaleness"/>) or "ssp:S"; ArgumentException otherwise.</summary>
    public static ModeSpec Parse(string text, int defaultStaleness = 2)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        if (t == "sync") return new(ConsistencyMode.Sync, 0);
        if (t == "async") return new(ConsistencyMode.Async, 0);
        if (t == "ssp") return new(ConsistencyMode.Ssp, defaultStaleness);
        if (t.StartsWith("ssp:", StringComparison.Ordinal) && int.TryParse(t[4..], out int s) && s >= 0) return new(ConsistencyMode.Ssp, s);
        throw new ArgumentException($"unknown mode '{text}' (expected sync, async, ssp or ssp:S with S ≥ 0)", nameof(text));
    }

    public override string ToString() => Mode == ConsistencyMode.Ssp ? $"ssp:{Staleness}" : Mode.ToString().ToLowerInvariant();
}

/// <summary>One configuration of a sweep: n workers, a mode, chunk length k, and server shards.</summary>
public sealed record ScaleConfig(int Workers, ModeSpec Mode, int Chunk, int Shards)
{
    /// <summary>Short unique label, e.g. "ssp:2 k=25 shards=2 n=4".</summary>
    public string Label => $"{Mode} k={Chunk} shards={Shards} n={Workers}";

    /// <summary>The configurations compared with each other across worker counts (all but n).</summary>
    public string Group => $"{Mode} k={Chunk} shards={Shards}";
}
