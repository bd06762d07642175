namespace ActorTrainer.Core.Data;

/// <summary>
/// A tiny deterministic generator (SplitMix64, Steele et al. 2014). Used where generated data must
/// be identical on every machine and .NET version (System.Random's algorithm is not a contract).
/// </summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong state = seed;

    public ulong NextUInt64()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n), n &gt; 0 (multiply-shift; bias &lt; n/2⁶⁴, irrelevant here).</summary>
    public int Next(int n) => (int)(((UInt128)NextUInt64() * (ulong)n) >> 64);

    public bool Chance(double p) => NextDouble() < p;
}
