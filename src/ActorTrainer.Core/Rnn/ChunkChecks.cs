namespace ActorTrainer.Core.Rnn;

/// <summary>Validation of a <see cref="Chunk"/> against a model: clear exceptions, never silent.</summary>
internal static class ChunkChecks
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless the chunk has B streams, 1 ≤ T ≤ min(maxT, chunk.MaxT),
    /// inputs of size V (tokens in [0, V)) and the targets the loss needs (tokens in [0, O) for
    /// cross-entropy, vectors of size O for MSE).
    /// </summary>
    public static void Check(Chunk chunk, ModelSpec spec, int b, int maxT)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        int V = spec.Shape.V, O = spec.Shape.O, T = chunk.T;
        if (chunk.B != b)
            throw new ArgumentException($"The chunk has B={chunk.B} streams; expected B={b}.", nameof(chunk));
        if (T < 1 || T > chunk.MaxT || T > maxT)
            throw new ArgumentException($"chunk.T={T} is outside [1, {Math.Min(maxT, chunk.MaxT)}].", nameof(chunk));

        if (chunk.InputTokens is { } tokens)
        {
            for (int r = 0; r < T * b; r++)
                if ((uint)tokens[r] >= (uint)V)
                    throw new ArgumentOutOfRangeException(nameof(chunk), tokens[r],
                        $"Input token at (t={r / b}, b={r % b}) is {tokens[r]}, outside [0, V={V}).");
        }
        else if (chunk.InputVectors is { } xs)
        {
            if (xs.Length != chunk.MaxT * b * V)
                throw new ArgumentException(
                    $"The chunk's input vectors have length {xs.Length}, expected MaxT·B·V = {chunk.MaxT * b * V} for V={V}.", nameof(chunk));
        }
        else throw new ArgumentException("The chunk has no inputs.", nameof(chunk));

        switch (spec.Loss)
        {
            case LossKind.SoftmaxCrossEntropy:
                if (chunk.TargetTokens is not { } targets)
                    throw new ArgumentException("Softmax cross-entropy needs token targets; the chunk has none.", nameof(chunk));
                for (int r = 0; r < T * b; r++)
                    if ((uint)targets[r] >= (uint)O)
                        throw new ArgumentOutOfRangeException(nameof(chunk), targets[r],
                            $"Target token at (t={r / b}, b={r % b}) is {targets[r]}, outside [0, O={O}).");
                break;
            case LossKind.MeanSquaredError:
                if (chunk.TargetVectors is not { } ys)
                    throw new ArgumentException("MSE needs vector targets; the chunk has none.", nameof(chunk));
                if (ys.Length != chunk.MaxT * b * O)
                    throw new ArgumentException(
                        $"The chunk's target vectors have length {ys.Length}, expected MaxT·B·O = {chunk.MaxT * b * O} for O={O}.", nameof(chunk));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(spec), spec.Loss, "Unknown loss kind.");
        }
    }
}
