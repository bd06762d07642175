using ActorTrainer.Core.Data;

namespace ActorTrainer.Core.Tests.Data;

public class StreamLayoutTests
{
    [Fact]
    public void Stream_length_and_chunk_count_follow_the_contract()
    {
        // N=103, S=4: L = ⌊103/4⌋ = 25; k=5: ⌊(25−1)/5⌋ = 4 chunks per stream.
        var l = new StreamLayout(103, 4, 5);
        Assert.Equal(25, l.StreamLength);
        Assert.Equal(4, l.ChunksPerStream);
        Assert.Equal(50, l.StreamStart(2));
        Assert.Equal(50 + 3 * 5 + 4, l.InputIndex(2, 3, 4));
    }

    [Fact]
    public void Chunk_count_leaves_room_for_the_last_target()
    {
        // L = 21, k = 5: chunks 0..3 use inputs 0..19 and targets 1..20; a fifth chunk would need target 25.
        var l = new StreamLayout(42, 2, 5);
        Assert.Equal(21, l.StreamLength);
        Assert.Equal(4, l.ChunksPerStream);
        var tight = new StreamLayout(40, 2, 5); // L = 20: targets up to index 20 do not fit a 4th chunk
        Assert.Equal(3, tight.ChunksPerStream);
    }

    [Fact]
    public void Exactly_enough_tokens_give_one_chunk_per_stream()
    {
        var l = new StreamLayout(4 * 6, 4, 5);
        Assert.Equal(1, l.ChunksPerStream);
    }

    [Fact]
    public void Too_few_tokens_is_a_data_exception_with_the_numbers()
    {
        var ex = Assert.Throws<DataException>(() => new StreamLayout(19, 4, 4));
        Assert.Contains("19", ex.Message);
        Assert.Contains("S=4", ex.Message);
        Assert.Contains("k=4", ex.Message);
        Assert.Contains("20", ex.Message);
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(4, 0)]
    public void Non_positive_streams_or_chunk_length_are_rejected(int s, int k)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StreamLayout(1000, s, k));
    }
}
