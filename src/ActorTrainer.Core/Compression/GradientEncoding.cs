using System.Globalization;

namespace ActorTrainer.Core.Compression;

/// <summary>How a pushed tensor's values are laid out on the wire (the channel's u8 encoding field).</summary>
public enum WireEncoding : byte
{
    /// <summary>N binary32 values.</summary>
    Fp32 = 0,
    /// <summary>N bf16 values (the upper halves of binary32): lossless for values already rounded to bf16.</summary>
    Bf16 = 1,
    /// <summary>K (index, binary32 value) pairs, indices strictly increasing; every other value is +0.</summary>
    Sparse = 2,
}

/// <summary>
/// A run's push encoding (setting <c>push-encoding</c>): <c>fp32</c> (exact, the default), <c>bf16</c>
/// (round to nearest even) or <c>topk:F[:W]</c> (the fraction F of largest-magnitude values, with error
/// feedback; over the first W updates the fraction falls from 25% to F). The rule runs on the worker (<see cref="CreateEncoder"/>), in process and in a cluster
/// alike; the wire only packs its output, losslessly.
/// </summary>
public sealed record GradientEncoding
{
    public enum Kinds { Fp32, Bf16, TopK }

    public Kinds Kind { get; }
    /// <summary>Top-k: the fraction of values sent, in (0, 1]; 1 otherwise.</summary>
    public double Fraction { get; }
    /// <summary>Top-k: updates of W over which the fraction sent falls from <see cref="TopKErrorFeedback.WarmupStart"/>
    /// to <see cref="Fraction"/> (DGC's density warm-up); 0 = none.</summary>
    public long WarmupUpdates { get; }

    private GradientEncoding(Kinds kind, double fraction, long warmupUpdates = 0) { Kind = kind; Fraction = fraction; WarmupUpdates = warmupUpdates; }

    public static GradientEncoding Fp32 { get; } = new(Kinds.Fp32, 1);
    public static GradientEncoding Bf16 { get; } = new(Kinds.Bf16, 1);

    public static GradientEncoding TopK(double fraction, long warmupUpdates = 0)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "top-k fraction must be in (0, 1]");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupUpdates);
        return new(Kinds.TopK, fraction, warmupUpdates);
    }

    /// <summary>What the encoder's output is packed as.</summary>
    public WireEncoding Wire => Kind switch { Kinds.Bf16 => WireEncoding.Bf16, Kinds.TopK => WireEncoding.Sparse, _ => WireEncoding.Fp32 };

    /// <summary>
    /// Whether workers push their optimizer's change of W (W₀ − W_loc) instead of a gradient, the server
    /// then applying the mean change with SGD at lr 1: with local steps (H &gt; 1), and with top-k. Error
    /// feedback delays part of each push by many updates; a linear server rule applies that part in
    /// full when it arrives, but Adam on the server normalised the sparse, accumulated values into large
    /// steps and the run diverged (docs/traffic.md). The one definition for workers and server.
    /// </summary>
    public static bool PushesDeltas(GradientEncoding encoding, int localSteps)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        return localSteps > 1 || encoding.Kind == Kinds.TopK;
    }

    /// <summary>A new encoder for tensors of <paramref name="length"/> values (top-k: with its own, zero residual).</summary>
    public IGradientEncoder CreateEncoder(int length) => Kind switch
    {
        Kinds.Bf16 => new Bf16Encoder(),
        Kinds.TopK => new TopKErrorFeedback(length, Fraction, WarmupUpdates),
        _ => new Fp32Encoder(),
    };

    /// <summary>"fp32", "bf16", "topk:F" or "topk:F:W" (W ≥ 0 warm-up updates); null when <paramref name="text"/> is none of them.</summary>
    public static GradientEncoding? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        if (t == "fp32") return Fp32;
        if (t == "bf16") return Bf16;
        if (!t.StartsWith("topk:", StringComparison.Ordinal)) return null;
        var parts = t[5..].Split(':');
        if (parts.Length > 2 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double f) || !(f > 0 && f <= 1)) return null;
        long w = 0;
        if (parts.Length == 2 && !(long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out w))) return null;
        return TopK(f, w);
    }

    /// <summary>The setting's text, as <see cref="TryParse"/> reads it.</summary>
    public override string ToString() => Kind switch
    {
        Kinds.Bf16 => "bf16",
        Kinds.TopK => "topk:" + Fraction.ToString(CultureInfo.InvariantCulture) + (WarmupUpdates > 0 ? ":" + WarmupUpdates.ToString(CultureInfo.InvariantCulture) : ""),
        _ => "fp32",
    };
}

/// <summary>
/// A worker's encoding rule for what it pushes: <see cref="Encode"/> replaces a gradient by exactly the
/// values the server will receive (so in-process and cluster runs apply the same numbers), and
/// <see cref="Wire"/> says how those values are packed. Not thread-safe: one per worker.
/// </summary>
public interface IGradientEncoder
{
    WireEncoding Wire { get; }
    /// <param name="update">The version of W the push was computed on (the server's updates so far): a
    /// schedule that follows the run's progress (top-k's warm-up) reads it, so a slot that moves keeps it.</param>
    void Encode(Span<float> g, long update);
}

/// <summary>Sends the gradient as it is.</summary>
public sealed class Fp32Encoder : IGradientEncoder
{
    public WireEncoding Wire => WireEncoding.Fp32;
    public void Encode(Span<float> g, long update) { }
}

/// <summary>Rounds every value to bf16 (no residual: the rounding error, ≤ 2⁻⁸ relative, is dropped).</summary>
public sealed class Bf16Encoder : IGradientEncoder
{
    public WireEncoding Wire => WireEncoding.Bf16;
    public void Encode(Span<float> g, long update) => Compression.Bf16.RoundInPlace(g);
}
