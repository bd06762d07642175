using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Core.Training;

/// <summary>
/// A worker's compute over its contiguous streams of the corpus layout: the training verbs
/// read → forward/backward → clip, with h carried from chunk to chunk (reset at each epoch wrap).
/// </summary>
public sealed class StreamGradientComputer : IGradientComputer
{
    private readonly BpttEngine _engine;
    private readonly ChunkReader _reader;
    private readonly Chunk _chunk;        // (k×B) token inputs and targets
    private readonly float[] _hPrev;      // (B×H) carried hidden state
    private readonly float? _clipNorm;
    private readonly float? _clipValue;

    public StreamGradientComputer(ModelSpec spec, TruncationScheme scheme, ReadOnlyMemory<int> tokens,
        StreamLayout layout, int firstStream, int streamCount, float? clipNorm, float? clipValue)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _reader = new ChunkReader(tokens, layout, firstStream, streamCount);
        _engine = new BpttEngine(spec, scheme, streamCount, layout.ChunkLength);
        _chunk = Chunk.ForTokens(streamCount, layout.ChunkLength);
        _hPrev = new float[streamCount * spec.Shape.H];
        _clipNorm = clipNorm;
        _clipValue = clipValue;
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
        if (read.ResetState)
        {
            // A new epoch starts every stream again from its first token: h from zero, no history.
            Array.Clear(_hPrev);
            _engine.ResetHistory();
        }
        float loss = _engine.ForwardBackward(w, _chunk, _hPrev, grad);
        var clip = _clipNorm is { } c ? GradientClipper.ClipByNorm(grad, c) : Measure(grad);
        bool clipped = clip.Clipped;
        if (clip.Finite && _clipValue is { } v)
            clipped |= GradientClipper.ClipByValue(grad, v).Clipped;
        return new ChunkOutcome(loss, clip.NormBefore, clipped, clip.Finite && float.IsFinite(loss),
            TokensPerChunk, index, read.ResetState);
    }

    private static ClipResult Measure(ReadOnlySpan<float> grad)
    {
        double norm = GradientClipper.L2Norm(grad);
        return new ClipResult(norm, false, double.IsFinite(norm));
    }

    public WorkerSnapshot Snapshot() =>
        new(_reader.FirstStream, _reader.StreamCount, _reader.AbsolutePosition, (float[])_hPrev.Clone());

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
        if (snapshot.Hidden.Length != _hPrev.Length)
            throw new ArgumentException($"snapshot hidden state has {snapshot.Hidden.Length} values, expected {_hPrev.Length}");
        _reader.Restore(snapshot.NextChunk);
        snapshot.Hidden.CopyTo(_hPrev, 0);
        _engine.ResetHistory();
    }
}
