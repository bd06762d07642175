using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Sharding;

/// <summary>
/// An update rule that can be split by key range, so that each parameter-server shard owns the
/// slice of the optimizer state of its slice of W. Every rule is elementwise, so applying the slices
/// on the matching slices of W and g gives what the whole rule gives.
/// </summary>
public interface IShardableUpdateRule : IUpdateRule
{
    /// <summary>An independent rule for parameters [offset, offset + count), with a copy of that
    /// slice of this rule's state (if it has any yet).</summary>
    IUpdateRule Slice(int offset, int count);

    /// <summary>Takes back the state of the slices made by <see cref="Slice"/>, in key order and
    /// covering all of W, after a sharded run (so a checkpoint saves the optimizer state as one).</summary>
    void Gather(IReadOnlyList<IUpdateRule> slices);
}
