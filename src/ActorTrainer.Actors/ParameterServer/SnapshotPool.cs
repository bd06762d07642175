using System.Collections.Concurrent;

namespace ActorTrainer.Actors.ParameterServer;

/// <summary>
/// Arrays for the W snapshots an in-process parameter server publishes, reused once every receiver
/// has let go of them: a fresh copy per update cost more than the copy itself and fed blocking gen2
/// collections (docs/decisions.md#pooled-arrays).
///
/// Protocol (<see cref="SnapshotLease"/>): the server rents a lease (it holds it), adds one holder
/// per local receiver before sending, then releases its own hold; each receiver releases once when it
/// stops reading the array (a worker: when it takes newer weights, ignores the message, or stops).
/// The last release returns the array. A receiver that never releases — a serialized copy (remote
/// worker, serialize-messages) carries no lease; a dead letter; a stopped actor — only keeps the
/// array out of the pool, never corrupts one in use. Thread-safe: rented on the server's thread,
/// returned on the workers'.
/// </summary>
public sealed class SnapshotPool
{
    /// <summary>Free arrays kept at most; more are left to the GC.</summary>
    public const int MaxFree = 8;

    private readonly ConcurrentStack<float[]> _free = new();
    private int _allocated;

    public SnapshotPool(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
    }

    public int Length { get; }
    /// <summary>Arrays ever allocated (flat once receivers release).</summary>
    public int Allocated => Volatile.Read(ref _allocated);

    /// <summary>A lease on an array of <see cref="Length"/> (contents unspecified) held once, by the caller.</summary>
    public SnapshotLease Rent()
    {
        if (!_free.TryPop(out var array))
        {
            Interlocked.Increment(ref _allocated);
            array = GC.AllocateUninitializedArray<float>(Length);
        }
        return new SnapshotLease(this, array);
    }

    internal void Return(float[] array)
    {
        if (_free.Count < MaxFree) _free.Push(array);
    }
}

/// <summary>One published snapshot's array and how many still read it; see <see cref="SnapshotPool"/>.</summary>
public sealed class SnapshotLease
{
    private readonly SnapshotPool _pool;
    private int _holders = 1;

    internal SnapshotLease(SnapshotPool pool, float[] weights) { _pool = pool; Weights = weights; }

    public float[] Weights { get; }

    /// <summary>Before sending to <paramref name="count"/> receivers, while still holding it.</summary>
    public void AddHolders(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (Interlocked.Add(ref _holders, count) - count <= 0)
            throw new InvalidOperationException("holders added to a lease that was already released");
    }

    /// <summary>One holder is done with the array; the last returns it to the pool.</summary>
    public void Release()
    {
        int left = Interlocked.Decrement(ref _holders);
        if (left == 0) _pool.Return(Weights);
        else if (left < 0) throw new InvalidOperationException("a snapshot lease was released more often than it was held");
    }
}
