using System.Numerics.Tensors;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Data;

/// <summary>
/// Synthetic task with a known dependency length: each of B streams is a sequence of random symbols
/// from an alphabet of size A (tokens 0 … A−1); the target at step t is the input at step t − Delay,
/// and the blank token A for t &lt; Delay. A model can only score above chance if its gradient
/// reaches at least Delay steps back, which makes truncation depth visible.
/// Inputs and outputs use V = O = A + 1 tokens (the blank is never an input).
/// Chunks come in sequence: each <see cref="Fill"/> continues every stream where the last left off.
/// Deterministic for a given seed. Not thread-safe.
/// </summary>
public sealed class DelayedRecallTask
{
    private readonly int seed;
    private readonly int[] history; // (B×Delay) ring buffer: history[b·Delay + t mod Delay] = input at step t
    private SplitMix64 rng;

    public int AlphabetSize { get; }
    public int Delay { get; }
    public int Streams { get; }

    /// <summary>The blank token, A.</summary>
    public int Blank => AlphabetSize;

    /// <summary>Token count for the model: V = O = A + 1.</summary>
    public int TokenCount => AlphabetSize + 1;

    /// <summary>Steps generated so far in each stream (the next chunk starts at this step).</summary>
    public long Step { get; private set; }

    public DelayedRecallTask(int alphabetSize, int delay, int streams, int seed)
    {
        if (alphabetSize < 2) throw new ArgumentOutOfRangeException(nameof(alphabetSize), alphabetSize, "alphabet size A must be at least 2");
        ArgumentOutOfRangeException.ThrowIfNegative(delay);
        if (streams <= 0) throw new ArgumentOutOfRangeException(nameof(streams), streams, "number of streams B must be positive");
        AlphabetSize = alphabetSize;
        Delay = delay;
        Streams = streams;
        this.seed = seed;
        history = new int[streams * delay];
        rng = new SplitMix64((ulong)seed);
    }

    /// <summary>Restarts every stream at step 0 with the original seed (the same sequence again).</summary>
    public void Reset()
    {
        rng = new SplitMix64((ulong)seed);
        Step = 0;
    }

    /// <summary>
    /// Fills chunk.T steps (T×B time-major) of the next part of every stream: random inputs, targets
    /// delayed by <see cref="Delay"/>. The chunk must have B = Streams and token inputs and targets.
    /// </summary>
    public void Fill(Chunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (chunk.B != Streams) throw new ArgumentException($"chunk has B={chunk.B} but the task has {Streams} streams", nameof(chunk));
        if (chunk.InputTokens is null || chunk.TargetTokens is null)
            throw new ArgumentException("chunk must have token inputs and token targets (Chunk.ForTokens)", nameof(chunk));
        int B = Streams, T = chunk.T, D = Delay;
        int[] x = chunk.InputTokens, y = chunk.TargetTokens; // (T×B)
        for (int t = 0; t < T; t++)
        {
            long step = Step + t;
            for (int b = 0; b < B; b++)
            {
                int input = rng.Next(AlphabetSize);
                int i = t * B + b;
                x[i] = input;
                if (D == 0) { y[i] = input; continue; }
                ref int slot = ref history[b * D + (int)(step % D)]; // holds the input of step − D
                y[i] = step < D ? Blank : slot;
                slot = input;
            }
        }
        Step += T;
    }

    /// <summary>
    /// Argmax accuracy over the positions t ≥ Delay of a chunk: those whose target is not the blank
    /// (inputs are never blank, so these are exactly the recall positions).
    /// logits: (T×B×O) row per prediction, O = <see cref="TokenCount"/>.
    /// </summary>
    public RecallScore Score(ReadOnlySpan<float> logits, Chunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (chunk.TargetTokens is null) throw new ArgumentException("chunk must have token targets", nameof(chunk));
        int O = TokenCount, n = chunk.T * chunk.B;
        if (logits.Length < n * O)
            throw new ArgumentException($"logits have {logits.Length} values but T·B·O = {n * O} are needed", nameof(logits));
        long correct = 0, counted = 0;
        for (int i = 0; i < n; i++)
        {
            int target = chunk.TargetTokens[i];
            if (target == Blank) continue;
            counted++;
            if (TensorPrimitives.IndexOfMax(logits.Slice(i * O, O)) == target) correct++;
        }
        return new RecallScore(correct, counted);
    }
}
