using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Sharding;

/// <summary>One shard's key range of W: parameters [Offset, Offset + Count).</summary>
public readonly record struct ShardRange(int Index, int Offset, int Count)
{
    public int End => Offset + Count;
    public override string ToString() => $"shard {Index} [{Offset}, {End})";
}

/// <summary>
/// How W (P) is split across parameter-server shards, ps-lite style: by key range into N contiguous
/// slices in index order, as even as possible (the first P mod N shards hold one parameter more).
/// Shard i owns W[Offset_i, Offset_i + Count_i) and that slice of the optimizer state; every worker
/// pushes gradient slice i to shard i and assembles W from all N slices.
/// The split ignores the block boundaries of W (Wxh | Whh | Bh | Why | By): every update rule is
/// elementwise, so where a cut falls changes nothing in the result.
/// </summary>
public sealed class ShardLayout
{
    private readonly ShardRange[] _ranges;

    /// <summary>The layout of one unsharded server: a single range over all of W.</summary>
    public static ShardLayout Single(int parameterCount) => new(parameterCount, 1);

    public ShardLayout(int parameterCount, int shards)
    {
        if (parameterCount <= 0)
            throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount, "parameter count must be positive");
        if (shards <= 0 || shards > parameterCount)
            throw new ArgumentOutOfRangeException(nameof(shards), shards,
                $"shard count must be in [1, {parameterCount}] (one parameter at least per shard)");
        ParameterCount = parameterCount;
        _ranges = new ShardRange[shards];
        int baseCount = parameterCount / shards, extra = parameterCount % shards, offset = 0;
        for (int i = 0; i < shards; i++)
        {
            int count = baseCount + (i < extra ? 1 : 0);
            _ranges[i] = new ShardRange(i, offset, count);
            offset += count;
        }
    }

    /// <summary>P, the length of the whole W.</summary>
    public int ParameterCount { get; }

    /// <summary>N, the number of shards.</summary>
    public int Count => _ranges.Length;

    public IReadOnlyList<ShardRange> Ranges => _ranges;

    public ShardRange this[int shard] => (uint)shard < (uint)_ranges.Length
        ? _ranges[shard]
        : throw new ArgumentOutOfRangeException(nameof(shard), shard, $"shard index must be in [0, {_ranges.Length})");

    /// <summary>The shard that owns parameter <paramref name="key"/>.</summary>
    public int ShardOf(int key)
    {
        if ((uint)key >= (uint)ParameterCount)
            throw new ArgumentOutOfRangeException(nameof(key), key, $"parameter index must be in [0, {ParameterCount})");
        int lo = 0, hi = _ranges.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_ranges[mid].Offset <= key) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>
    /// What a worker and shard i must agree on: the slice length and the model's shape string with the
    /// layout appended, so a worker with a different split is refused at registration. With one shard
    /// it is the model's own fingerprint (an unsharded run registers exactly as before).
    /// </summary>
    public ModelFingerprint Fingerprint(int shard, string modelShape)
    {
        ArgumentNullException.ThrowIfNull(modelShape);
        var r = this[shard];
        return Count == 1
            ? new ModelFingerprint(ParameterCount, modelShape)
            : new ModelFingerprint(r.Count, $"{modelShape}|shard {r.Index}/{Count} of {ParameterCount} [{r.Offset},{r.End})");
    }

    public override string ToString() => $"{Count} shard(s) over {ParameterCount} parameters";
}
