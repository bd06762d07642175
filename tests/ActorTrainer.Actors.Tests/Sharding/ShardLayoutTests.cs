using ActorTrainer.Actors.Sharding;

namespace ActorTrainer.Actors.Tests.Sharding;

public sealed class ShardLayoutTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 1)]
    [InlineData(10, 3)]
    [InlineData(10, 10)]
    [InlineData(1_000_003, 7)]
    public void Ranges_are_contiguous_in_key_order_cover_W_and_differ_in_size_by_at_most_one(int p, int n)
    {
        var layout = new ShardLayout(p, n);
        Assert.Equal(n, layout.Count);
        int expectedOffset = 0;
        for (int i = 0; i < n; i++)
        {
            var r = layout[i];
            Assert.Equal((i, expectedOffset), (r.Index, r.Offset));
            Assert.InRange(r.Count, p / n, p / n + 1);
            expectedOffset = r.End;
        }
        Assert.Equal(p, expectedOffset);
    }

    [Fact]
    public void Every_key_belongs_to_the_shard_whose_range_holds_it()
    {
        var layout = new ShardLayout(23, 4);
        for (int key = 0; key < 23; key++)
        {
            var r = layout[layout.ShardOf(key)];
            Assert.True(key >= r.Offset && key < r.End, $"key {key} mapped to {r}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.ShardOf(23));
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.ShardOf(-1));
    }

    [Fact]
    public void One_shard_registers_with_the_model_fingerprint_itself()
    {
        var fp = ShardLayout.Single(12).Fingerprint(0, "V=2,H=2");
        Assert.Equal(new ActorTrainer.Actors.ParameterServer.ModelFingerprint(12, "V=2,H=2"), fp);
    }

    [Fact]
    public void Shard_fingerprints_name_the_slice_so_a_different_split_is_refused()
    {
        var two = new ShardLayout(12, 2);
        var three = new ShardLayout(12, 3);
        Assert.Equal(6, two.Fingerprint(0, "m").ParameterCount);
        Assert.NotEqual(two.Fingerprint(0, "m"), two.Fingerprint(1, "m"));
        Assert.NotEqual(two.Fingerprint(0, "m").Shape, three.Fingerprint(0, "m").Shape);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(5, 0)]
    [InlineData(5, 6)]
    public void Impossible_layouts_are_refused_with_the_offending_value(int p, int n)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ShardLayout(p, n));
        Assert.Contains(p == 0 ? "parameter count" : "shard count", ex.Message);
    }
}
