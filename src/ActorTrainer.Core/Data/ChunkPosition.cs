namespace ActorTrainer.Core.Data;

/// <summary>Where a <see cref="ChunkReader"/> is: the next chunk it will read, and how many full passes it has made.</summary>
public readonly record struct ChunkPosition(long Epoch, int Chunk);

/// <summary>
/// What <see cref="ChunkReader.Next"/> read. ResetState is true when the chunk is the first of its
/// stream (chunk 0: the very first read and every wrap into a new epoch): the caller must reset the
/// hidden state to zero and start a new sequence (BpttEngine.ResetHistory) before running it.
/// </summary>
public readonly record struct ChunkRead(long Epoch, int Chunk, bool ResetState);
