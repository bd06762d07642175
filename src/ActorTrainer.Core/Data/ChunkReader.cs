using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Data;

/// <summary>
/// Reads chunks for one worker that owns streams [FirstStream, FirstStream + StreamCount) of a
/// <see cref="StreamLayout"/>. Batch column b of a chunk is stream FirstStream + b. All owned
/// streams move in lockstep: chunk c of each. The reader walks c = 0, 1, …, ChunksPerStream−1 and
/// wraps to 0 (next epoch); its <see cref="Position"/> can be saved and restored for resume.
/// Not thread-safe.
/// </summary>
public sealed class ChunkReader
{
    private readonly ReadOnlyMemory<int> tokens; // (N)

    public StreamLayout Layout { get; }
    public int FirstStream { get; }
    public int StreamCount { get; }

    /// <summary>The next chunk <see cref="Next"/> will read.</summary>
    public ChunkPosition Position { get; private set; }

    public ChunkReader(ReadOnlyMemory<int> tokens, StreamLayout layout, int firstStream, int streamCount)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (tokens.Length != layout.TokenCount)
            throw new ArgumentException($"got {tokens.Length} tokens but the layout was made for N={layout.TokenCount}", nameof(tokens));
        if (streamCount <= 0) throw new ArgumentOutOfRangeException(nameof(streamCount), streamCount, "a reader needs at least one stream");
        if (firstStream < 0 || firstStream > layout.Streams - streamCount)
            throw new ArgumentOutOfRangeException(nameof(firstStream),
                $"streams [{firstStream}, {firstStream + streamCount}) are outside the layout's S={layout.Streams} streams");
        this.tokens = tokens;
        Layout = layout;
        FirstStream = firstStream;
        StreamCount = streamCount;
    }

    /// <summary>
    /// Fills chunk (B = StreamCount, MaxT ≥ k, token inputs and targets) with chunk c and sets
    /// chunk.T = k: InputTokens[t·B + b] = stream(FirstStream+b)[c·k + t], TargetTokens the next token.
    /// Does not move <see cref="Position"/>.
    /// </summary>
    public void Fill(Chunk chunk, int c)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        int k = Layout.ChunkLength, L = Layout.StreamLength, B = StreamCount;
        if (chunk.B != B) throw new ArgumentException($"chunk has B={chunk.B} but the reader owns {B} streams", nameof(chunk));
        if (chunk.MaxT < k) throw new ArgumentException($"chunk holds at most T={chunk.MaxT} steps but chunks are k={k} long", nameof(chunk));
        if (chunk.InputTokens is null || chunk.TargetTokens is null)
            throw new ArgumentException("chunk must have token inputs and token targets (Chunk.ForTokens)", nameof(chunk));
        if ((uint)c >= (uint)Layout.ChunksPerStream)
            throw new ArgumentOutOfRangeException(nameof(c), c, $"chunk index must be in [0, {Layout.ChunksPerStream})");

        ReadOnlySpan<int> all = tokens.Span;
        int[] x = chunk.InputTokens, y = chunk.TargetTokens; // (T×B)
        for (int b = 0; b < B; b++)
        {
            ReadOnlySpan<int> s = all.Slice((FirstStream + b) * L, L); // stream FirstStream+b
            int start = c * k;
            for (int t = 0; t < k; t++)
            {
                x[t * B + b] = s[start + t];
                y[t * B + b] = s[start + t + 1];
            }
        }
        chunk.T = k;
    }

    /// <summary>Fills chunk with the chunk at <see cref="Position"/>, then advances (wrapping to chunk 0 of the next epoch).</summary>
    public ChunkRead Next(Chunk chunk)
    {
        var p = Position;
        Fill(chunk, p.Chunk);
        Position = p.Chunk + 1 < Layout.ChunksPerStream ? p with { Chunk = p.Chunk + 1 } : new ChunkPosition(p.Epoch + 1, 0);
        return new ChunkRead(p.Epoch, p.Chunk, ResetState: p.Chunk == 0);
    }

    /// <summary>Chunks read so far counted across epochs: Epoch·ChunksPerStream + Chunk (e.g. WorkerSnapshot.NextChunk).</summary>
    public long AbsolutePosition => Position.Epoch * Layout.ChunksPerStream + Position.Chunk;

    /// <summary>Continues from an <see cref="AbsolutePosition"/> (≥ 0).</summary>
    public void Restore(long absolutePosition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(absolutePosition);
        Restore(new ChunkPosition(absolutePosition / Layout.ChunksPerStream, (int)(absolutePosition % Layout.ChunksPerStream)));
    }

    /// <summary>Continues from a saved position. ArgumentOutOfRangeException if it does not fit this layout.</summary>
    public void Restore(ChunkPosition position)
    {
        if (position.Epoch < 0 || (uint)position.Chunk >= (uint)Layout.ChunksPerStream)
            throw new ArgumentOutOfRangeException(nameof(position), position,
                $"position must have epoch ≥ 0 and chunk in [0, {Layout.ChunksPerStream})");
        Position = position;
    }
}
