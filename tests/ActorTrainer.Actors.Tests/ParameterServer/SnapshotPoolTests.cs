using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Tests.ParameterServer;

public sealed class SnapshotPoolTests
{
    [Fact]
    public void An_array_returns_to_the_pool_only_after_its_last_holder_released_it()
    {
        var pool = new SnapshotPool(3);
        var lease = pool.Rent();
        lease.AddHolders(2);               // two receivers
        lease.Release();                   // the server's own hold
        Assert.NotSame(lease.Weights, pool.Rent().Weights);
        lease.Release();                   // receiver 1
        Assert.NotSame(lease.Weights, pool.Rent().Weights);
        lease.Release();                   // receiver 2: free
        Assert.Same(lease.Weights, pool.Rent().Weights);
        Assert.Equal(3, pool.Allocated);
    }

    [Fact]
    public void Releasing_more_often_than_held_or_adding_holders_after_the_end_is_an_error()
    {
        var lease = new SnapshotPool(1).Rent();
        lease.Release();
        Assert.Throws<InvalidOperationException>(lease.Release);
        var released = new SnapshotPool(1).Rent();
        released.Release();
        Assert.Throws<InvalidOperationException>(() => released.AddHolders(1));
    }

    [Fact]
    public void The_pool_keeps_at_most_max_free_arrays()
    {
        var pool = new SnapshotPool(1);
        var leases = Enumerable.Range(0, SnapshotPool.MaxFree + 3).Select(_ => pool.Rent()).ToList();
        leases.ForEach(l => l.Release());
        var again = Enumerable.Range(0, SnapshotPool.MaxFree + 3).Select(_ => pool.Rent()).ToList();
        Assert.Equal(2 * (SnapshotPool.MaxFree + 3) - SnapshotPool.MaxFree, pool.Allocated);
        Assert.Equal(SnapshotPool.MaxFree, again.Count(l => leases.Any(o => ReferenceEquals(o.Weights, l.Weights))));
    }
}
