namespace ActorTrainer.Core.Training;

/// <summary>
/// What one chunk of work produced: the mean loss of the chunk that produced the gradient, the
/// gradient's L2 norm before clipping, whether clipping changed it, whether it is finite (a
/// non-finite gradient must never be applied), the tokens it covered, the chunk index within the
/// worker's streams, and whether the hidden state was reset before the chunk (epoch wrap).
/// </summary>
public readonly record struct ChunkOutcome(
    float Loss, double GradNorm, bool Clipped, bool Finite, int Tokens, long ChunkIndex, bool StateReset);

/// <summary>
/// One worker's compute: it owns a fixed set of streams, their hidden state and data position,
/// and turns the current weights into the clipped gradient of its next chunk.
/// Pure computation, no Akka; not thread-safe (one per worker).
/// </summary>
public interface IGradientComputer
{
    /// <summary>Length of W and of every gradient.</summary>
    int ParameterCount { get; }

    /// <summary>Tokens (predictions) per chunk: B·k.</summary>
    int TokensPerChunk { get; }

    /// <summary>Forward k steps from the carried h, backward, clip; writes the gradient into grad
    /// (overwritten) and advances the data position and hidden state.</summary>
    ChunkOutcome ComputeNext(ReadOnlySpan<float> w, Span<float> grad);

    /// <summary>Data position and hidden state, for checkpoints and for moving streams.</summary>
    WorkerSnapshot Snapshot();

    /// <summary>Restores a snapshot taken from a computer over the same streams.</summary>
    void Restore(WorkerSnapshot snapshot);

    /// <summary>Copies the carried hidden state (<see cref="WorkerSnapshot.Hidden"/>) into destination; a
    /// worker keeps it for each chunk in flight, so a computer should do it without allocating.</summary>
    void CopyHidden(Span<float> destination) => Snapshot().Hidden.CopyTo(destination);
}

/// <summary>Next chunk index and carried hidden state (B×H) of a worker's streams.</summary>
public sealed record WorkerSnapshot(int FirstStream, int StreamCount, long NextChunk, float[] Hidden);
