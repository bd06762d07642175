using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Sharding;

/// <summary>
/// The coordinator's view of a sharded server, without Akka: joins the N shards' reports into
/// whole-model ones. Plain and deterministic; one coordinator owns it.
/// - Snapshots for validation: shard i sends its slice after its u-th update; once all N slices of
///   update u are in, W after update u is their concatenation (sync: exactly the unsharded W; async/ssp:
///   each slice after its own u-th update).
/// - Completion: the first shard to complete ends the run (the others are told to stop); once all N
///   have completed, the result is their slices concatenated, with the first shard's reason and the
///   counters combined by <see cref="ServerStats.Combine"/>.
/// - Run snapshots: joined like the validation snapshots (the final ones by being final, as shards may end
///   at different updates), optimizer states concatenated in key order, workers' streams from shard 0.
/// With one shard every report passes straight through.
/// </summary>
public sealed class ShardAssembler
{
    private readonly ShardLayout _layout;
    private readonly SortedDictionary<long, float[]?[]> _snapshots = new(); // update number → slices by shard
    private readonly SortedDictionary<(bool Final, long Update), RunSnapshot?[]> _runSnapshots = new();
    private readonly TrainingCompleted?[] _completed;
    private readonly ServerLoadReported?[] _loads;
    private int _completedCount;
    private TrainingCompleted? _first;

    public ShardAssembler(ShardLayout layout)
    {
        _layout = layout ?? throw new ArgumentNullException(nameof(layout));
        _completed = new TrainingCompleted?[layout.Count];
        _loads = new ServerLoadReported?[layout.Count];
    }

    public ShardLayout Layout => _layout;

    /// <summary>Slice of shard <paramref name="shard"/> after its <see cref="WeightsPublished.UpdateNumber"/>-th
    /// update; returns the whole W (P) at that update once every shard's slice is in, else null.</summary>
    public WeightsPublished? AddSnapshot(int shard, WeightsPublished m)
    {
        ArgumentNullException.ThrowIfNull(m);
        CheckSlice(shard, m.Weights.Length);
        if (_layout.Count == 1) return m;
        if (!_snapshots.TryGetValue(m.UpdateNumber, out var parts))
            _snapshots[m.UpdateNumber] = parts = new float[]?[_layout.Count];
        parts[shard] = m.Weights;
        if (parts.Any(p => p is null)) return null;
        _snapshots.Remove(m.UpdateNumber);
        return new WeightsPublished(m.Version, m.UpdateNumber, Concat(parts!)); // versions agree when shards start equal
    }

    /// <summary>Shard <paramref name="shard"/>'s part of a run snapshot; returns the whole run's once every
    /// shard's part is in, else null.</summary>
    public RunSnapshot? AddRunSnapshot(int shard, RunSnapshot m)
    {
        ArgumentNullException.ThrowIfNull(m);
        CheckSlice(shard, m.Weights.Length);
        if (_layout.Count == 1) return m;
        var key = (m.Final, m.Final ? 0 : m.UpdateNumber);
        if (!_runSnapshots.TryGetValue(key, out var parts)) _runSnapshots[key] = parts = new RunSnapshot?[_layout.Count];
        parts[shard] = m;
        if (parts.Any(p => p is null)) return null;
        _runSnapshots.Remove(key);
        var all = parts.Select(p => p!).ToArray();
        var optimizer = all.All(p => p.Optimizer is not null)
            ? Core.Optim.OptimizerState.Concat(all.Select(p => new Core.Optim.OptimizerState(p.Optimizer!.Length, p.Optimizer.Buffers,
                all.Max(q => q.Optimizer!.StepCount))).ToArray())
            : null;
        return new RunSnapshot(all[0].UpdateNumber, all.Min(p => p.Version), Concat(all.Select(p => p.Weights).ToArray()),
            optimizer, all[0].Workers, m.Final);
    }

    /// <summary>Shard <paramref name="shard"/>'s load, reported before its completion.</summary>
    public void AddLoad(int shard, ServerLoadReported m)
    {
        ArgumentNullException.ThrowIfNull(m);
        _loads[_layout[shard].Index] = m; // the indexer rejects a bad shard index
    }

    /// <summary>Loads reported so far, by shard (null where a shard has not reported).</summary>
    public IReadOnlyList<ServerLoadReported?> Loads => _loads;

    /// <summary>Whether some shard has completed (the run is ending).</summary>
    public bool AnyCompleted => _first is not null;

    /// <summary>True when no shard had completed before this one (the caller then stops the others).</summary>
    public bool IsFirstCompletion { get; private set; }

    /// <summary>Shard <paramref name="shard"/> has completed; returns the whole run's completion once every
    /// shard has, else null. A shard completing twice is an error.</summary>
    public TrainingCompleted? AddCompletion(int shard, TrainingCompleted m)
    {
        ArgumentNullException.ThrowIfNull(m);
        CheckSlice(shard, m.Weights.Length);
        if (_completed[shard] is not null) throw new InvalidOperationException($"shard {shard} completed twice");
        _completed[shard] = m;
        _completedCount++;
        IsFirstCompletion = _first is null;
        _first ??= m;
        _snapshots.Clear(); // a stopped shard never reaches later updates
        if (_completedCount < _layout.Count) return null;
        if (_layout.Count == 1) return m;
        var parts = _completed.Select(c => c!).ToArray();
        return new TrainingCompleted(
            _first.Reason,
            _first.Detail,
            Version: parts.Min(p => p.Version),
            Concat(parts.Select(p => p.Weights).ToArray()),
            ServerStats.Combine(parts.Select(p => p.Stats).ToArray()));
    }

    /// <summary>Each shard's own completion (null until it completes).</summary>
    public IReadOnlyList<TrainingCompleted?> Completions => _completed;

    private void CheckSlice(int shard, int length)
    {
        var r = _layout[shard];
        if (length != r.Count)
            throw new ArgumentException($"{r} sent {length} values, its slice has {r.Count}", nameof(shard));
    }

    private float[] Concat(float[][] slices)
    {
        var w = new float[_layout.ParameterCount]; // (P)
        foreach (var r in _layout.Ranges) slices[r.Index].CopyTo(w, r.Offset);
        return w;
    }
}
