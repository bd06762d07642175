using System.Numerics.Tensors;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Core.Rnn;

/// <summary>
/// Generates tokens from a character-level model (token inputs, softmax outputs, O ≤ V so a sampled
/// token can be fed back): feeds the seed tokens, then repeatedly draws the next token from
/// softmax(y / temperature) and feeds it back. Temperature 0 is argmax (deterministic, no draws).
/// </summary>
public static class Sampler
{
    /// <summary>Samples count tokens after the seed, starting from h = 0.</summary>
    public static int[] Sample(ModelSpec spec, ReadOnlySpan<float> w, ReadOnlySpan<int> seed, int count, double temperature, Random rng)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Sample(spec, w, seed, count, temperature, rng, new float[spec.Shape.H]);
    }

    /// <summary>
    /// Samples count tokens after the seed from the hidden state h (H). h is advanced through every token
    /// of seed + samples except the last one, so a continuation passes that last token as its seed.
    /// </summary>
    /// <exception cref="ArgumentException">Spec is not a token→softmax model with O ≤ V; wrong lengths; empty seed;
    /// a seed token outside [0, V); count &lt; 0; temperature negative or NaN.</exception>
    public static int[] Sample(ModelSpec spec, ReadOnlySpan<float> w, ReadOnlySpan<int> seed, int count, double temperature, Random rng, Span<float> h)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(rng);
        ModelShape sh = spec.Shape;
        if (spec.Loss != LossKind.SoftmaxCrossEntropy)
            throw new ArgumentException($"Sampling needs a softmax model; this one has loss {spec.Loss}.", nameof(spec));
        if (sh.O > sh.V)
            throw new ArgumentException($"Sampled tokens are fed back as inputs, so O={sh.O} must be ≤ V={sh.V}.", nameof(spec));
        if (w.Length != sh.Count) throw new ArgumentException($"w has length {w.Length}, expected {sh.Count}.", nameof(w));
        if (h.Length != sh.H) throw new ArgumentException($"h has length {h.Length}, expected H = {sh.H}.", nameof(h));
        if (seed.IsEmpty) throw new ArgumentException("The seed must hold at least one token.", nameof(seed));
        foreach (int x in seed)
            if ((uint)x >= (uint)sh.V) throw new ArgumentOutOfRangeException(nameof(seed), x, $"Seed token outside [0, V={sh.V}).");
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(temperature >= 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Temperature must be finite and ≥ 0 (0 = argmax).");

        // The engine's forward step, one stream and one step at a time (forward only: the scheme is not used).
        var engine = new BpttEngine(spec, new TruncationScheme.Full(), batch: 1, maxChunk: 1);
        var step = Chunk.ForTokens(1, 1);
        var y = new float[sh.O];                               // (O) logits of the step
        var tokens = new int[count];
        for (int i = 0; i < seed.Length - 1; i++) Step(engine, w, step, seed[i], h, y);
        int x0 = seed[^1];
        for (int n = 0; n < count; n++)
        {
            Step(engine, w, step, x0, h, y);
            if (!float.IsFinite(TensorPrimitives.Sum<float>(y)))
                throw new InvalidOperationException($"The model produced non-finite logits at sample {n}.");
            x0 = tokens[n] = temperature == 0 ? TensorPrimitives.IndexOfMax<float>(y) : Draw(y, temperature, rng);
        }
        return tokens;
    }

    /// <summary>h ← φ(Wxh[:, x] + Whh·h + Bh), y = Why·h + By: one step of one stream.</summary>
    private static void Step(BpttEngine engine, ReadOnlySpan<float> w, Chunk step, int x, Span<float> h, Span<float> y)
    {
        step.InputTokens![0] = x;
        engine.ForwardOutputs(w, step, h, y);
    }

    /// <summary>Draws from softmax(y / temperature) by inverting the CDF at one uniform draw.</summary>
    private static int Draw(ReadOnlySpan<float> y, double temperature, Random rng)
    {
        float max = TensorPrimitives.Max(y);
        double z = 0;
        foreach (float v in y) z += Math.Exp((v - max) / temperature);
        double u = rng.NextDouble() * z, cum = 0;
        for (int o = 0; o < y.Length; o++)
        {
            cum += Math.Exp((y[o] - max) / temperature);
            if (u < cum) return o;
        }
        return y.Length - 1;                                  // u within rounding of z
    }
}
