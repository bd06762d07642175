namespace ActorTrainer.Core.Rnn;

/// <summary>
/// T consecutive steps of B streams, time-major: element (t, b) is at index t·B + b.
/// Inputs are either tokens (one-hot, InputTokens: T×B class indices into V) or dense vectors
/// (InputVectors: T×B×V). Targets are tokens (TargetTokens: T×B, for cross-entropy) or dense
/// vectors (TargetVectors: T×B×O, for MSE). Buffers are sized for MaxT and reused; T may be smaller.
/// </summary>
public sealed class Chunk
{
    public int B { get; }
    public int MaxT { get; }
    /// <summary>Steps in use, 1 ≤ T ≤ MaxT.</summary>
    public int T { get; set; }
    public int[]? InputTokens { get; }     // (MaxT×B)
    public float[]? InputVectors { get; }  // (MaxT×B×V)
    public int[]? TargetTokens { get; }    // (MaxT×B)
    public float[]? TargetVectors { get; } // (MaxT×B×O)

    private Chunk(int b, int maxT, int[]? inT, float[]? inV, int[]? tgT, float[]? tgV)
    {
        if (b <= 0) throw new ArgumentOutOfRangeException(nameof(b), b, "B must be positive");
        if (maxT <= 0) throw new ArgumentOutOfRangeException(nameof(maxT), maxT, "T must be positive");
        B = b; MaxT = maxT; T = maxT;
        InputTokens = inT; InputVectors = inV; TargetTokens = tgT; TargetVectors = tgV;
    }

    /// <summary>Token inputs and token targets (character language model, recall tasks).</summary>
    public static Chunk ForTokens(int b, int maxT) => new(b, maxT, new int[maxT * b], null, new int[maxT * b], null);

    /// <summary>Dense inputs of size v and dense targets of size o (regression with MSE).</summary>
    public static Chunk ForVectors(int b, int maxT, int v, int o) =>
        new(b, maxT, null, new float[maxT * b * v], null, new float[maxT * b * o]);

    /// <summary>Token inputs with dense targets, or dense inputs with token targets.</summary>
    public static Chunk Mixed(int b, int maxT, bool tokenInputs, int v, bool tokenTargets, int o) =>
        new(b, maxT,
            tokenInputs ? new int[maxT * b] : null, tokenInputs ? null : new float[maxT * b * v],
            tokenTargets ? new int[maxT * b] : null, tokenTargets ? null : new float[maxT * b * o]);
}
