namespace ActorTrainer.Core.Truncation;

/// <summary>
/// A truncation scheme is f(t): the earliest step whose hidden state the gradient of L_t reaches.
/// Steps are counted from the start of the sequence (step 0).
/// </summary>
public abstract record TruncationScheme
{
    /// <summary>f(t).</summary>
    public abstract int EarliestStep(int t);

    /// <summary>Untruncated BPTT: f(t) = 0.</summary>
    public sealed record Full : TruncationScheme
    {
        public override int EarliestStep(int t) => 0;
        public override string ToString() => "full";
    }

    /// <summary>k-truncated BPTT: f(t) = max(0, t − k); every L_t backpropagates exactly k steps (sliding window).</summary>
    public sealed record KStep(int K) : TruncationScheme
    {
        /// <summary>k ≥ 0 (k = 0: no gradient through time at all).</summary>
        public int K { get; init; } = K >= 0 ? K : throw new ArgumentOutOfRangeException(nameof(K), K, "KStep needs k ≥ 0.");

        public override int EarliestStep(int t) => Math.Max(0, t - K);
        public override string ToString() => $"k({K})";
    }

    /// <summary>Subsequence-truncated BPTT: f(t) = k·⌊t/k⌋; chunks of k, h carried forward as a constant.</summary>
    public sealed record Subsequence(int K) : TruncationScheme
    {
        /// <summary>k ≥ 1, the subsequence (chunk) length.</summary>
        public int K { get; init; } = K >= 1 ? K : throw new ArgumentOutOfRangeException(nameof(K), K, "Subsequence needs k ≥ 1.");

        public override int EarliestStep(int t) => K * (t / K);
        public override string ToString() => $"subsequence({K})";
    }
}
