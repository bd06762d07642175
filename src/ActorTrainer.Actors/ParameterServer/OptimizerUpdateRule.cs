using ActorTrainer.Actors.Sharding;
using ActorTrainer.Core.Optim;

namespace ActorTrainer.Actors.ParameterServer;

/// <summary>
/// Adapts a core <see cref="Optimizer"/> to the server: the server owns the optimizer state,
/// created for the whole W on first use or restored from a checkpoint. Shardable: each shard of a
/// sharded server gets the optimizer and its slice of the state (<see cref="Slice"/>), and the slices'
/// state is joined back afterwards (<see cref="Gather"/>).
/// </summary>
public sealed class OptimizerUpdateRule : IShardableUpdateRule
{
    public Optimizer Optimizer { get; }

    /// <summary>The optimizer's state (null until the first update unless given).</summary>
    public OptimizerState? State { get; private set; }

    private float[]? _spare;                // (P) where a checked step computes W before taking it
    private OptimizerState? _spareState;    // the same for the state; swapped with State on success

    /// <param name="state">Restored state (e.g. from a checkpoint); ArgumentException when it holds NaN or ±∞.</param>
    public OptimizerUpdateRule(Optimizer optimizer, OptimizerState? state = null)
    {
        if (state is not null && !state.IsFinite()) throw new ArgumentException("optimizer state holds NaN or infinity", nameof(state));
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        State = state;
    }

    /// <summary>Plain SGD, w ← w − η·g.</summary>
    public static OptimizerUpdateRule Sgd(float learningRate) => new(new Sgd(learningRate));

    public UpdateOutcome Apply(Span<float> w, ReadOnlySpan<float> g)
    {
        if (g.Length != w.Length)
            throw new ArgumentException($"gradient length {g.Length} differs from W length {w.Length}", nameof(g));
        State ??= Optimizer.CreateState(w.Length);
        if (_spare?.Length != w.Length) _spare = new float[w.Length];
        if (_spareState?.Length != w.Length) _spareState = Optimizer.CreateState(w.Length);
        return Optimizer.TryStep(w, g, State, _spare, _spareState);
    }

    /// <summary>Same optimizer, a copy of the state of parameters [offset, offset + count) — zeroed when
    /// there is no state yet, which is what the whole rule would create on first use.</summary>
    public IUpdateRule Slice(int offset, int count) =>
        new OptimizerUpdateRule(Optimizer, State?.Slice(offset, count) ?? Optimizer.CreateState(count));

    /// <summary>
    /// Joins the slices' states back into <see cref="State"/>, in key order. Shards that accepted
    /// different numbers of gradients (ssp rejections differ per shard; a run ends when the first shard
    /// does) have different step counts; the joined state takes the largest (it only feeds Adam's bias
    /// correction, which is ≈ 1 after a few hundred steps).
    /// </summary>
    public void Gather(IReadOnlyList<IUpdateRule> slices)
    {
        ArgumentNullException.ThrowIfNull(slices);
        var parts = slices.Select((r, i) => r as OptimizerUpdateRule
            ?? throw new ArgumentException($"slice {i} is a {r?.GetType().Name ?? "null"}, not an {nameof(OptimizerUpdateRule)}", nameof(slices))).ToArray();
        int missing = Array.FindIndex(parts, p => p.State is null);
        if (missing >= 0) throw new ArgumentException($"slice {missing} has no optimizer state; was it made by {nameof(Slice)}?", nameof(slices));
        long step = parts.Max(p => p.State!.StepCount);
        State = OptimizerState.Concat(parts.Select(p => new OptimizerState(p.State!.Length, p.State.Buffers, step)).ToArray());
    }
}
