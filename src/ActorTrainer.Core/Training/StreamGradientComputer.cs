using ActorTrainer.Core.Data;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Core.Training;

/// <summary>
/// A worker's compute over its contiguous streams of the corpus layout: the training verbs
/// read → forward/backward → clip, with h carried from chunk to chunk (reset at each epoch wrap).
/// </summary>
public sealed class StreamGradientComputer : IGradientComputer
{
    private readonly TrainingStep _step;
    private readonly ChunkReader _reader;
    private readonly Chunk _chunk;        // (k×B) token inputs and targets

    public StreamGradientComputer(ModelSpec spec, TruncationScheme scheme, ReadOnlyMemory<int> tokens,
        StreamLayout layout, int firstStream, int streamCount, float? clipNorm, float? clipValue)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _reader = new ChunkReader(tokens, layout, firstStream, streamCount);
        _step = new TrainingStep(spec, scheme, streamCount, layout.ChunkLength, clipNorm, clipValue);
        _chunk = Chunk.ForTokens(streamCount, layout.ChunkLength);
        ParameterCount = spec.Shape.Count;
        TokensPerChunk = streamCount * layout.ChunkLength;
    }

    public int ParameterCount { get; }
    public int TokensPerChunk { get; }
    public int FirstStream => _reader.FirstStream;
    public int StreamCount => _reader.StreamCount;

    public ChunkOutcome ComputeNext(ReadOnlySpan<float> w, Span<float> grad)
    {
        long index = _reader.AbsolutePosition;
        var read = _reader.Next(_chunk);
        if (read.ResetState) _step.ResetState();   // a new epoch starts every stream again from its first token
        var o = _step.Run(w, _chunk, grad);
        return new ChunkOutcome(o.Loss, o.GradNorm, o.Clipped, o.Finite, TokensPerChunk, index, read.ResetState);
    }

    public void CopyHidden(Span<float> destination) => _step.HPrev.CopyTo(destination);

    public WorkerSnapshot Snapshot() =>
        new(_reader.FirstStream, _reader.StreamCount, _reader.AbsolutePosition, (float[])_step.HPrev.Clone());

    /// <summary>
    /// Restores data position and hidden state. The engine's cross-chunk history (k-step and full
    /// truncation) is not part of a snapshot: it starts empty after a restore.
    /// </summary>
    public void Restore(WorkerSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.FirstStream != _reader.FirstStream || snapshot.StreamCount != _reader.StreamCount)
            throw new ArgumentException(
                $"snapshot is of streams [{snapshot.FirstStream}, {snapshot.FirstStream + snapshot.StreamCount}) but this worker owns [{_reader.FirstStream}, {_reader.FirstStream + _reader.StreamCount})");
        if (snapshot.Hidden.Length != _step.HPrev.Length)
            throw new ArgumentException($"snapshot hidden state has {snapshot.Hidden.Length} values, expected {_step.HPrev.Length}");
        _reader.Restore(snapshot.NextChunk);
        snapshot.Hidden.CopyTo(_step.HPrev, 0);
        _step.ResetHistory();
    }
}
