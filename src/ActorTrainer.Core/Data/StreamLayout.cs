namespace ActorTrainer.Core.Data;

/// <summary>
/// How N training tokens are cut into S parallel streams and chunks of k steps — the contract users
/// and tests rely on:
/// <list type="bullet">
/// <item>L = ⌊N/S⌋; stream s is tokens[s·L, (s+1)·L) (the last N − S·L tokens are unused).</item>
/// <item>Chunk c (length k) of stream s has inputs s[c·k + t] and targets s[c·k + t + 1], t &lt; k.</item>
/// <item>Chunks per stream = ⌊(L−1)/k⌋ (the target of a chunk's last step must lie inside the stream).</item>
/// </list>
/// Requires N ≥ S·(k+1) so each stream has at least one chunk (DataException otherwise).
/// </summary>
public sealed record StreamLayout
{
    /// <summary>N, training tokens.</summary>
    public int TokenCount { get; }
    /// <summary>S, total streams across all workers.</summary>
    public int Streams { get; }
    /// <summary>k, steps per chunk.</summary>
    public int ChunkLength { get; }
    /// <summary>L = ⌊N/S⌋, tokens per stream.</summary>
    public int StreamLength { get; }
    /// <summary>⌊(L−1)/k⌋, chunks in one pass (epoch) over a stream.</summary>
    public int ChunksPerStream { get; }

    public StreamLayout(int tokenCount, int streams, int chunkLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenCount);
        if (streams <= 0) throw new ArgumentOutOfRangeException(nameof(streams), streams, "number of streams S must be positive");
        if (chunkLength <= 0) throw new ArgumentOutOfRangeException(nameof(chunkLength), chunkLength, "chunk length k must be positive");
        long needed = (long)streams * (chunkLength + 1);
        if (tokenCount < needed)
            throw new DataException(
                $"{tokenCount} training tokens are too few for S={streams} streams with chunks of k={chunkLength}: " +
                $"each stream needs at least k+1 = {chunkLength + 1} tokens, so N ≥ S·(k+1) = {needed}. " +
                "Use fewer streams, shorter chunks or more text.");
        TokenCount = tokenCount;
        Streams = streams;
        ChunkLength = chunkLength;
        StreamLength = tokenCount / streams;
        ChunksPerStream = (StreamLength - 1) / chunkLength;
    }

    /// <summary>Index into the token array of stream s's first token, s·L.</summary>
    public int StreamStart(int stream)
    {
        if ((uint)stream >= (uint)Streams) throw new ArgumentOutOfRangeException(nameof(stream), stream, $"stream must be in [0, {Streams})");
        return stream * StreamLength;
    }

    /// <summary>Index into the token array of the input at step t of chunk c of stream s: s·L + c·k + t. The target is the next index.</summary>
    public int InputIndex(int stream, int chunk, int t)
    {
        if ((uint)chunk >= (uint)ChunksPerStream) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, $"chunk must be in [0, {ChunksPerStream})");
        if ((uint)t >= (uint)ChunkLength) throw new ArgumentOutOfRangeException(nameof(t), t, $"t must be in [0, {ChunkLength})");
        return StreamStart(stream) + chunk * ChunkLength + t;
    }
}
