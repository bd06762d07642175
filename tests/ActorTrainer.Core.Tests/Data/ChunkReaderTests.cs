using ActorTrainer.Core.Data;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Tests.Data;

public class ChunkReaderTests
{
    // Token value = its index, so every filled value says exactly where it came from.
    private static int[] Identity(int n) => Enumerable.Range(0, n).ToArray();

    [Fact]
    public void Fill_takes_chunk_c_of_each_owned_stream_time_major()
    {
        var layout = new StreamLayout(103, 4, 5); // L = 25, 4 chunks
        var reader = new ChunkReader(Identity(103), layout, firstStream: 1, streamCount: 2);
        var chunk = Chunk.ForTokens(2, 5);
        reader.Fill(chunk, 2);
        Assert.Equal(5, chunk.T);
        for (int t = 0; t < 5; t++)
            for (int b = 0; b < 2; b++)
            {
                int expected = (1 + b) * 25 + 2 * 5 + t; // s·L + c·k + t
                Assert.Equal(expected, chunk.InputTokens![t * 2 + b]);
                Assert.Equal(expected + 1, chunk.TargetTokens![t * 2 + b]);
            }
    }

    [Fact]
    public void Workers_together_read_every_stream_position_once_without_crossing_streams()
    {
        const int N = 1000, S = 6, k = 7;
        var layout = new StreamLayout(N, S, k); // L = 166, ⌊165/7⌋ = 23 chunks
        var readers = new[] { new ChunkReader(Identity(N), layout, 0, 2), new ChunkReader(Identity(N), layout, 2, 4) };
        var seen = new HashSet<int>();
        foreach (var r in readers)
        {
            var chunk = Chunk.ForTokens(r.StreamCount, k);
            for (int c = 0; c < layout.ChunksPerStream; c++)
            {
                r.Fill(chunk, c);
                for (int i = 0; i < k * r.StreamCount; i++)
                {
                    int x = chunk.InputTokens![i], y = chunk.TargetTokens![i];
                    Assert.Equal(x + 1, y);
                    Assert.Equal(x / layout.StreamLength, y / layout.StreamLength); // same stream
                    Assert.True(seen.Add(x), $"input {x} read twice");
                }
            }
        }
        Assert.Equal(S * layout.ChunksPerStream * k, seen.Count);
    }

    [Fact]
    public void Next_walks_the_chunks_and_wraps_into_a_new_epoch_asking_for_a_reset()
    {
        var layout = new StreamLayout(40, 2, 4); // L = 20, ⌊19/4⌋ = 4 chunks
        var reader = new ChunkReader(Identity(40), layout, 0, 2);
        var chunk = Chunk.ForTokens(2, 4);
        var reads = Enumerable.Range(0, 9).Select(_ => reader.Next(chunk)).ToArray();
        Assert.Equal(new[] { 0, 1, 2, 3, 0, 1, 2, 3, 0 }, reads.Select(r => r.Chunk));
        Assert.Equal(new long[] { 0, 0, 0, 0, 1, 1, 1, 1, 2 }, reads.Select(r => r.Epoch));
        Assert.Equal(new[] { true, false, false, false, true, false, false, false, true }, reads.Select(r => r.ResetState));
        Assert.Equal(0, chunk.InputTokens![0]); // the wrapped chunk is chunk 0 of stream 0 again
        Assert.Equal(new ChunkPosition(2, 1), reader.Position);
    }

    [Fact]
    public void Restored_position_continues_with_the_same_chunks()
    {
        var layout = new StreamLayout(500, 3, 6);
        var tokens = Identity(500);
        var a = new ChunkReader(tokens, layout, 0, 3);
        var ca = Chunk.ForTokens(3, 6);
        for (int i = 0; i < 30; i++) a.Next(ca);
        var saved = a.Position;

        var b = new ChunkReader(tokens, layout, 0, 3);
        b.Restore(saved);
        var cb = Chunk.ForTokens(3, 6);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(a.Next(ca), b.Next(cb));
            Assert.Equal(ca.InputTokens, cb.InputTokens);
            Assert.Equal(ca.TargetTokens, cb.TargetTokens);
        }
    }

    [Fact]
    public void Absolute_position_counts_chunks_across_epochs_and_restores()
    {
        var layout = new StreamLayout(40, 2, 4); // 4 chunks per stream
        var reader = new ChunkReader(Identity(40), layout, 0, 2);
        var chunk = Chunk.ForTokens(2, 4);
        for (int i = 0; i < 6; i++) reader.Next(chunk);
        Assert.Equal(6, reader.AbsolutePosition);
        var other = new ChunkReader(Identity(40), layout, 0, 2);
        other.Restore(6);
        Assert.Equal(new ChunkPosition(1, 2), other.Position);
        Assert.Throws<ArgumentOutOfRangeException>(() => other.Restore(-1L));
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, -1)]
    [InlineData(0, 4)]
    public void Position_outside_the_layout_is_rejected(long epoch, int chunk)
    {
        var reader = new ChunkReader(Identity(40), new StreamLayout(40, 2, 4), 0, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.Restore(new ChunkPosition(epoch, chunk)));
    }

    [Fact]
    public void Mismatched_chunks_and_stream_ranges_are_rejected()
    {
        var layout = new StreamLayout(40, 2, 4);
        var reader = new ChunkReader(Identity(40), layout, 0, 2);
        Assert.Throws<ArgumentException>(() => reader.Fill(Chunk.ForTokens(3, 4), 0));
        Assert.Throws<ArgumentException>(() => reader.Fill(Chunk.ForTokens(2, 3), 0));
        Assert.Throws<ArgumentException>(() => reader.Fill(Chunk.ForVectors(2, 4, 3, 3), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.Fill(Chunk.ForTokens(2, 4), 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChunkReader(Identity(40), layout, 1, 2));
        Assert.Throws<ArgumentException>(() => new ChunkReader(Identity(41), layout, 0, 2));
    }

    [Fact]
    public void Larger_chunk_buffer_is_used_with_T_set_to_k()
    {
        var layout = new StreamLayout(40, 2, 4);
        var reader = new ChunkReader(Identity(40), layout, 0, 2);
        var chunk = Chunk.ForTokens(2, 10);
        reader.Fill(chunk, 1);
        Assert.Equal(4, chunk.T);
        Assert.Equal(4, chunk.InputTokens![0]);
        Assert.Equal(24, chunk.InputTokens![1]);
    }
}
