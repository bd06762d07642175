namespace ActorTrainer.Actors.Worker;

/// <summary>
/// The gradient arrays a worker hands to one server (shard) with its pushes, reused once that server
/// has answered the push. In process the server reads the pushed array itself (no copy), and it is
/// done with it when it answers: a rejection is immediate, an ack comes after the update (sync: after
/// the round's average). Across nodes the array is serialized before the server can answer. So an
/// answered buffer is free, and after warm-up a worker allocates nothing per chunk (fresh arrays fed
/// blocking gen2 collections: docs/decisions.md#pooled-arrays).
/// A push that is never answered (its server died, the run stopped) simply keeps its array;
/// at most <see cref="MaxAwaiting"/> are remembered, the oldest forgotten first (left to the GC).
/// Not thread-safe: the worker's state owns it.
/// </summary>
public sealed class PushBuffers
{
    /// <summary>Unanswered pushes remembered at most (MaxInFlight is 1–2 in practice).</summary>
    public const int MaxAwaiting = 16;

    private readonly int _length;
    private readonly Stack<float[]> _free = new();
    private readonly SortedDictionary<long, float[]> _awaiting = new(); // chunk id → its pushed array

    public PushBuffers(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _length = length;
    }

    /// <summary>Arrays ever allocated (for tests: stays flat once pushes are answered).</summary>
    public int Allocated { get; private set; }
    public int Awaiting => _awaiting.Count;

    /// <summary>A free array of the length, contents unspecified (callers overwrite it).</summary>
    public float[] Rent()
    {
        if (_free.TryPop(out var buffer)) return buffer;
        Allocated++;
        return new float[_length];
    }

    /// <summary>The array went to the server with chunk <paramref name="chunkId"/>: hold it until answered.</summary>
    public void Sent(long chunkId, float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length != _length) throw new ArgumentException($"buffer has {buffer.Length} values, expected {_length}", nameof(buffer));
        if (!_awaiting.TryAdd(chunkId, buffer)) throw new InvalidOperationException($"chunk {chunkId} was already sent");
        if (_awaiting.Count > MaxAwaiting) _awaiting.Remove(_awaiting.Keys.First());
    }

    /// <summary>The server answered chunk <paramref name="chunkId"/> (applied or rejected): its array is free.
    /// Unknown ids (forgotten, or answered twice) are ignored.</summary>
    public void Answered(long chunkId)
    {
        if (_awaiting.Remove(chunkId, out var buffer)) _free.Push(buffer);
    }

    /// <summary>An array rented but never sent (e.g. a non-finite gradient) is free again.</summary>
    public void Return(float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length != _length) throw new ArgumentException($"buffer has {buffer.Length} values, expected {_length}", nameof(buffer));
        _free.Push(buffer);
    }
}
