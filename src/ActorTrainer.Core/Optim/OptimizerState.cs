namespace ActorTrainer.Core.Optim;

/// <summary>
/// The state an <see cref="Optimizer"/> keeps for n parameters, held apart from the model so a
/// parameter server (or each shard of one) owns it: named buffers of length n (e.g. Adam's "m", "v")
/// plus the number of updates applied so far. Every buffer is elementwise over the parameters, so
/// the state of a slice [offset, offset+count) is just the buffers' slices (<see cref="Slice"/>), and
/// shard states concatenate back into the whole (<see cref="Concat"/>) — e.g. for a checkpoint.
/// Not thread-safe; one owner at a time.
/// </summary>
public sealed class OptimizerState
{
    private readonly (string Name, float[] Data)[] buffers;

    /// <summary>Number of parameters n this state covers; every buffer has this length.</summary>
    public int Length { get; }

    /// <summary>Updates applied so far (Adam's t after its last step). Advanced by <see cref="Optimizer.Step"/>.</summary>
    public long StepCount { get; set; }

    /// <summary>
    /// A state over <paramref name="length"/> parameters with the given buffers (taken, not copied),
    /// e.g. restored from a checkpoint. Throws ArgumentException on a negative length or step count,
    /// a buffer of the wrong length, or a duplicate/empty name.
    /// </summary>
    public OptimizerState(int length, IEnumerable<(string Name, float[] Data)> buffers, long stepCount = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        ArgumentNullException.ThrowIfNull(buffers);
        var list = buffers.ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, data) in list)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("optimizer buffer names must be non-empty", nameof(buffers));
            if (!seen.Add(name)) throw new ArgumentException($"duplicate optimizer buffer '{name}'", nameof(buffers));
            if (data is null || data.Length != length)
                throw new ArgumentException(
                    $"optimizer buffer '{name}' has length {data?.Length.ToString() ?? "null"} but the state covers {length} parameters",
                    nameof(buffers));
        }
        this.buffers = list;
        Length = length;
        StepCount = stepCount;
    }

    /// <summary>A fresh state: each named buffer zero-filled, step count 0.</summary>
    public static OptimizerState Zeros(int length, params string[] bufferNames) =>
        new(length, bufferNames.Select(n => (n, new float[length])));

    /// <summary>The buffers in creation order (for checkpointing). The arrays are live, not copies.</summary>
    public IReadOnlyList<(string Name, float[] Data)> Buffers => buffers;

    /// <summary>The buffer called <paramref name="name"/>; KeyNotFoundException naming the buffers it has otherwise.</summary>
    public float[] Buffer(string name)
    {
        foreach (var (n, data) in buffers)
            if (n == name) return data;
        throw new KeyNotFoundException(
            $"optimizer state has no buffer '{name}' (it has: {string.Join(", ", buffers.Select(b => b.Name))}); " +
            "was it created by a different optimizer?");
    }

    /// <summary>True when every buffer holds only finite values.</summary>
    public bool IsFinite() => buffers.All(b => System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(b.Data));

    /// <summary>Exchanges this state's buffer arrays with <paramref name="other"/>'s (same names, same
    /// order, same length); step counts stay. How a checked step takes the state it computed aside.</summary>
    internal void SwapBuffers(OptimizerState other)
    {
        if (other.Length != Length || !other.buffers.Select(b => b.Name).SequenceEqual(buffers.Select(b => b.Name)))
            throw new ArgumentException("states differ in length or buffers", nameof(other));
        for (int i = 0; i < buffers.Length; i++)
            (buffers[i].Data, other.buffers[i].Data) = (other.buffers[i].Data, buffers[i].Data);
    }

    /// <summary>
    /// An independent copy of the state of parameters [offset, offset+count): each buffer's slice,
    /// same step count. Stepping the slice state on the matching slices of w and g gives exactly
    /// what stepping the whole state gives on those elements.
    /// </summary>
    public OptimizerState Slice(int offset, int count)
    {
        if (offset < 0 || count < 0 || offset > Length - count)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"slice [{offset}, {offset}+{count}) is outside the state's {Length} parameters");
        return new OptimizerState(count, buffers.Select(b => (b.Name, b.Data.AsSpan(offset, count).ToArray())), StepCount);
    }

    /// <summary>
    /// Joins shard states, in parameter order, into one state (copies). All parts must have the same
    /// buffer names in the same order and the same step count; ArgumentException otherwise.
    /// </summary>
    public static OptimizerState Concat(IReadOnlyList<OptimizerState> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("need at least one state to concatenate", nameof(parts));
        var first = parts[0];
        var names = first.buffers.Select(b => b.Name).ToArray();
        for (int p = 1; p < parts.Count; p++)
        {
            if (!parts[p].buffers.Select(b => b.Name).SequenceEqual(names))
                throw new ArgumentException($"state part {p} has buffers [{string.Join(", ", parts[p].buffers.Select(b => b.Name))}] " +
                                            $"but part 0 has [{string.Join(", ", names)}]", nameof(parts));
            if (parts[p].StepCount != first.StepCount)
                throw new ArgumentException($"state part {p} is at step {parts[p].StepCount} but part 0 is at step {first.StepCount}", nameof(parts));
        }
        int total = parts.Sum(p => p.Length);
        var joined = names.Select(n => (n, new float[total])).ToArray();
        int offset = 0;
        foreach (var part in parts)
        {
            for (int i = 0; i < names.Length; i++)
                part.buffers[i].Data.CopyTo(joined[i].Item2, offset);
            offset += part.Length;
        }
        return new OptimizerState(total, joined, first.StepCount);
    }

    /// <summary>A deep copy (buffers copied).</summary>
    public OptimizerState Clone() => Slice(0, Length);
}
