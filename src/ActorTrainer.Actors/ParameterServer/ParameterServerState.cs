using System.Numerics.Tensors;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.ParameterServer;

/// <summary>
/// Everything the parameter server knows and decides, without Akka: W (P), the update rule, the
/// version, the registered workers, the open sync round and the counters.
/// <see cref="Handle"/> takes one message and returns what to send, in order; the actor shell only
/// delivers it. Mutable (W is large, so it is updated in place, not copied per message); not
/// thread-safe — one actor owns it.
///
/// Rules:
/// - every push is validated (known worker, new chunk id, length P, all finite, within the run's
///   clip-norm and clip-value, base ≤ current); a refused push leaves W untouched and is counted by reason;
/// - an update that would leave W or the optimizer state non-finite is refused (each of its gradients
///   counted as <see cref="RejectionReason.NonFiniteUpdate"/>); after <see cref="ServerSettings.MaxStalledUpdates"/>
///   updates in a row refused so (W and its state can then no longer change), the run ends as diverged;
/// - sync: the open round waits for one gradient from each registered worker, averages them in
///   worker-id order (fixed summation order → deterministic W), applies once, publishes;
///   a worker leaving drops its pending gradient and closes the round if everyone else is in;
/// - async: every valid gradient is applied on arrival;
/// - ssp: applied only if current − base ≤ s, else refused as too stale;
/// - the staleness (current − base) of every applied gradient is recorded;
/// - each update publishes a copy of W to all registered workers (fresh, or from the snapshot pool),
///   except the run's last;
/// - run snapshots (<see cref="ServerSettings.RunSnapshots"/>): W and the rule's state are copied after
///   the update, every worker is asked for its streams after its last chunk counted so far, and the
///   <see cref="RunSnapshot"/> goes to the observer once all have answered; the run's final one goes
///   before <see cref="TrainingCompleted"/>, so a host that has the completion has the final snapshot.
/// </summary>
public sealed class ParameterServerState
{
    private readonly ServerSettings _settings;
    private readonly IUpdateRule _rule;
    private readonly float[] _w;                 // (P) the shared weights
    private float[]? _roundSum;                  // (P) sync: sum of the round's gradients, lazily allocated
    private readonly SnapshotPool? _snapshots;   // arrays for published W, reused (in process)
    private readonly SortedDictionary<int, long> _lastChunk = new();   // registered worker → last chunk id seen
    private readonly Dictionary<int, long> _lastCounted = new();       // registered worker → last chunk applied or refused
                                                                       // (not one waiting in the open round)
    private readonly SortedDictionary<int, PushGradient> _round = new(); // sync: the open round's gradients
    private readonly long[] _rejections = new long[Enum.GetValues<RejectionReason>().Length];
    private readonly long[] _stalenessHistogram = new long[ServerStats.StalenessBuckets];
    private long _gradientsApplied, _nonFiniteReports, _maxStaleness, _stalenessSum;
    private int _stalledInARow;                  // updates in a row refused as non-finite or leaving W unchanged
    private bool _started;
    private StopTraining? _stop;                 // a stop at a future update count (StopTraining.AtUpdate)
    private readonly SortedDictionary<long, PendingSnapshot> _pending = new(); // run snapshots awaiting workers, by id
    private long _nextSnapshotId;
    private TrainingCompleted? _completion;      // held until the final run snapshot is out

    /// <summary>A run snapshot's server part and the workers' answers so far (null: still awaited).</summary>
    private sealed record PendingSnapshot(RunSnapshot Server, SortedDictionary<int, WorkerSnapshot?> Workers);

    /// <param name="initialWeights">W at <paramref name="initialVersion"/>; copied.</param>
    /// <param name="snapshots">Where published snapshots come from (in process); null = a fresh copy each time.
    /// The observer's snapshots are always fresh copies.</param>
    public ParameterServerState(ServerSettings settings, ReadOnlySpan<float> initialWeights, IUpdateRule rule, long initialVersion = 0,
        SnapshotPool? snapshots = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(rule);
        if (initialWeights.Length != settings.Fingerprint.ParameterCount)
            throw new ArgumentException(
                $"initial weights have {initialWeights.Length} values but the model has {settings.Fingerprint.ParameterCount}",
                nameof(initialWeights));
        if (!TensorPrimitives.IsFiniteAll(initialWeights))
            throw new ArgumentException("initial weights contain NaN or infinity", nameof(initialWeights));
        if (initialVersion < 0) throw new ArgumentOutOfRangeException(nameof(initialVersion), initialVersion, "version must be ≥ 0");
        _settings = settings;
        _rule = rule;
        if (snapshots is not null && snapshots.Length != initialWeights.Length)
            throw new ArgumentException($"snapshot pool arrays have {snapshots.Length} values, W has {initialWeights.Length}", nameof(snapshots));
        _w = initialWeights.ToArray();
        _snapshots = snapshots;
        Version = initialVersion;
    }

    public ServerSettings Settings => _settings;
    /// <summary>Version of W: initial version + updates applied.</summary>
    public long Version { get; private set; }
    /// <summary>Updates applied so far (a sync round counts once).</summary>
    public long Updates { get; private set; }
    public bool IsFinished { get; private set; }
    /// <summary>Current W (P), read-only view; changes with every update.</summary>
    public ReadOnlySpan<float> Weights => _w;
    public bool IsRegistered(int workerId) => _lastChunk.ContainsKey(workerId);
    public IReadOnlyCollection<int> RegisteredWorkers => _lastChunk.Keys;

    public ServerStats Stats() => new(
        Version, Updates, _gradientsApplied, (long[])_rejections.Clone(), _nonFiniteReports,
        _maxStaleness, _stalenessSum, (long[])_stalenessHistogram.Clone());

    /// <summary>Processes one message; returns what to send, in order.</summary>
    public IReadOnlyList<Outgoing> Handle(ITrainerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var outbox = new List<Outgoing>();
        switch (message)
        {
            case RegisterWorker m: Register(m, outbox); break;
            case PushGradient m: Push(m, outbox); break;
            case Worker.NonFiniteGradientSkipped m: NonFiniteReported(m, outbox); break;
            case WorkerLeft m: Leave(m, outbox); break;
            case StopTraining m: Stop(m, outbox); break;
            case WorkerSnapshotTaken m: SnapshotAnswered(m, outbox); break;
            default:
                throw new ArgumentException($"the parameter server does not handle {message.GetType().Name}", nameof(message));
        }
        return outbox;
    }

    // ---- registration -------------------------------------------------------------------------

    private void Register(RegisterWorker m, List<Outgoing> outbox)
    {
        string? refusal =
            IsFinished ? "training has finished"
            : IsRegistered(m.WorkerId) ? $"worker id {m.WorkerId} is already registered"
            : m.Fingerprint != _settings.Fingerprint ? $"model mismatch: worker has {m.Fingerprint}, server has {_settings.Fingerprint}"
            : null;
        if (refusal is not null)
        {
            var rejected = new RegistrationRejected(m.WorkerId, refusal);
            outbox.Add(new(Recipient.Sender, rejected)); // not registered: only the sender knows where it is
            outbox.Add(new(Recipient.Observer, rejected));
            return;
        }

        _lastChunk[m.WorkerId] = long.MinValue;
        _lastCounted[m.WorkerId] = long.MinValue;
        if (_started)
        {
            outbox.Add(new(Recipient.Worker(m.WorkerId), new WorkerRegistered(m.WorkerId, Version, CopyForWorkers())));
        }
        else if (_lastChunk.Count >= _settings.StartQuorum)
        {
            // Quorum reached: everyone starts from the same W, in worker-id order.
            _started = true;
            var snapshot = CopyForWorkers(); // shared read-only by all receivers
            foreach (int id in _lastChunk.Keys)
                outbox.Add(new(Recipient.Worker(id), new WorkerRegistered(id, Version, snapshot)));
        }
    }

    private void Leave(WorkerLeft m, List<Outgoing> outbox)
    {
        if (!_lastChunk.Remove(m.WorkerId)) return;
        _lastCounted.Remove(m.WorkerId);
        _round.Remove(m.WorkerId); // pending ⊆ registered: a sync round averages only present workers
        outbox.Add(new(Recipient.Observer, m));
        // A snapshot stops waiting for it; one it already answered keeps its streams (it answers, then stops).
        foreach (var p in _pending.Values)
            if (p.Workers.TryGetValue(m.WorkerId, out var answer) && answer is null) p.Workers.Remove(m.WorkerId);
        DeliverSnapshots(outbox);
        if (_settings.Mode == ConsistencyMode.Sync) TryCloseRound(outbox);
    }

    // ---- gradients ----------------------------------------------------------------------------

    private void Push(PushGradient m, List<Outgoing> outbox)
    {
        if (IsFinished) { Reject(m, RejectionReason.TrainingFinished, "the run has completed", outbox); return; }
        if (!_lastChunk.TryGetValue(m.WorkerId, out long lastChunk))
        {
            Reject(m, RejectionReason.UnknownWorker, $"worker {m.WorkerId} is not registered", outbox);
            return;
        }
        if (m.ChunkId <= lastChunk)
        {
            Reject(m, RejectionReason.DuplicateChunk, $"chunk {m.ChunkId} is not after chunk {lastChunk}, the last received from worker {m.WorkerId}", outbox);
            return;
        }
        _lastChunk[m.WorkerId] = m.ChunkId; // a chunk id is used once, whatever happens to its gradient

        int p = _w.Length;
        if (m.Gradient.Length != p)
        {
            Reject(m, RejectionReason.WrongLength, $"gradient has {m.Gradient.Length} values, W has {p}", outbox);
            return;
        }
        if (!TensorPrimitives.IsFiniteAll<float>(m.Gradient))
        {
            Reject(m, RejectionReason.NonFinite, "gradient contains NaN or infinity", outbox);
            return;
        }
        if (OutsideClipBounds(m) is { } clip)
        {
            Reject(m, clip.Reason, clip.Detail, outbox);
            return;
        }
        if (m.BaseVersion > Version)
        {
            Reject(m, RejectionReason.FutureVersion, $"base version {m.BaseVersion} is ahead of the server's {Version}", outbox);
            return;
        }

        long staleness = Version - m.BaseVersion;
        switch (_settings.Mode)
        {
            case ConsistencyMode.Sync:
                if (staleness != 0)
                    Reject(m, RejectionReason.TooStale, $"sync round is at version {Version}, gradient is on {m.BaseVersion}", outbox);
                else if (_round.ContainsKey(m.WorkerId))
                    Reject(m, RejectionReason.AlreadyInRound, $"worker {m.WorkerId} already contributed to the round on version {Version}", outbox);
                else
                {
                    _round[m.WorkerId] = m;
                    TryCloseRound(outbox);
                }
                break;
            case ConsistencyMode.Async:
                Apply([m], outbox);
                break;
            case ConsistencyMode.Ssp:
                if (staleness > _settings.Staleness)
                    Reject(m, RejectionReason.TooStale, $"staleness {staleness} exceeds the bound {_settings.Staleness}", outbox);
                else
                    Apply([m], outbox);
                break;
        }
    }

    /// <summary>The run's clipping, checked rather than trusted: null when g is within clip-norm and clip-value.
    /// A push of a change of W (<see cref="ServerSettings.PushesDeltas"/>) is not a gradient: only its
    /// finiteness and the update's are checked.</summary>
    private (RejectionReason Reason, string Detail)? OutsideClipBounds(PushGradient m)
    {
        if (_settings.PushesDeltas) return null;
        var g = m.Gradient;
        // bf16 rounding moves each value by at most 2⁻⁸ of itself, so the norm and the largest value by as much
        double bf16 = m.Encoding == Core.Compression.WireEncoding.Bf16 ? Math.Pow(2, -8) : 0;
        // A worker scales g by (float)(c/‖g‖) and rounds each element: ‖g‖ ends within c·(1 + 2·2⁻²⁴);
        // 1e-6 leaves room for that and for this norm's own rounding.
        if (_settings.ClipNorm is { } c && GradientClipper.L2Norm(g) is var norm && norm > c * (1 + 1e-6 + bf16))
            return (RejectionReason.AboveClipNorm, $"gradient norm {norm:G3} is above the run's clip-norm {c}");
        // Clipping by value clamps exactly, so no slack (but bf16's).
        if (_settings.ClipValue is { } v && g.Length > 0 && Math.Abs(TensorPrimitives.MaxMagnitude<float>(g)) is var max && max > v * (1 + bf16))
            return (RejectionReason.AboveClipValue, $"gradient element {max:G3} is outside the run's ±clip-value {v}");
        return null;
    }

    /// <summary>Sync: apply once every registered worker has contributed to the open round.</summary>
    private void TryCloseRound(List<Outgoing> outbox)
    {
        if (IsFinished || _round.Count == 0 || _round.Count < _lastChunk.Count) return;
        var contributions = _round.Values.ToArray(); // ascending worker id
        _round.Clear();
        Apply(contributions, outbox);
    }

    /// <summary>W ← rule(W, mean of the contributions' gradients), then publish.</summary>
    private void Apply(PushGradient[] contributions, List<Outgoing> outbox)
    {
        ReadOnlySpan<float> g;
        if (contributions.Length == 1)
        {
            g = contributions[0].Gradient;
        }
        else
        {
            // Mean in ascending worker-id order: float addition is not associative, so a fixed
            // order is what makes two sync runs bit-identical.
            // One pass per contribution: the last addition and the 1/n scale are fused
            // ((sum + g_last)·(1/n)), and with two workers the first copy is fused too.
            var sum = _roundSum ??= new float[_w.Length]; // (P)
            int n = contributions.Length;
            if (n > 2) contributions[0].Gradient.CopyTo(sum, 0);
            ReadOnlySpan<float> acc = n > 2 ? sum : contributions[0].Gradient;
            for (int i = 1; i < n - 1; i++)
                TensorPrimitives.Add(sum, contributions[i].Gradient, sum);
            TensorPrimitives.AddMultiply(acc, contributions[n - 1].Gradient, 1f / n, sum);
            g = sum;
        }

        long versionOnArrival = Version;
        var outcome = _rule.Apply(_w, g);
        // Only refusals count: an applied gradient too small to move a float (a run at float precision
        // of its optimum) is not a stall.
        _stalledInARow = outcome == UpdateOutcome.WouldBeNonFinite ? _stalledInARow + 1 : 0;
        if (outcome == UpdateOutcome.WouldBeNonFinite)
        {
            foreach (var c in contributions)
                Reject(c, RejectionReason.NonFiniteUpdate, "applying it would leave NaN or infinity in W or the optimizer state", outbox);
            if (_stalledInARow >= _settings.MaxStalledUpdates) Stalled(outbox);
            return;
        }
        Version++;
        Updates++;

        long maxStaleness = 0;
        foreach (var c in contributions)
        {
            Counted(c.WorkerId, c.ChunkId);
            long staleness = versionOnArrival - c.BaseVersion;
            maxStaleness = Math.Max(maxStaleness, staleness);
            _gradientsApplied++;
            _stalenessSum += staleness;
            _maxStaleness = Math.Max(_maxStaleness, staleness);
            _stalenessHistogram[Math.Min(staleness, ServerStats.StalenessBuckets - 1)]++;
        }

        // Weights first, then acks: a worker never learns of a version before it holds its weights.
        // The last update of a run publishes nothing: workers would only compute a chunk that is
        // never applied (and a host running in segments would lose it from the data stream).
        bool last = Updates >= _settings.MaxUpdates || Updates >= _stop?.AtUpdate;
        var toWorkers = last ? null : Snapshot();
        if (toWorkers is not null) outbox.Add(new(Recipient.AllWorkers, toWorkers));
        foreach (var c in contributions)
            outbox.Add(new(Recipient.Worker(c.WorkerId),
                new GradientApplied(c.WorkerId, c.ChunkId, c.BaseVersion, Version, versionOnArrival - c.BaseVersion)));

        outbox.Add(new(Recipient.Observer, new UpdateApplied(
            Updates, Version,
            contributions.Select(c => c.WorkerId).ToArray(),
            contributions.Select(c => c.ChunkId).ToArray(),
            Loss: contributions.Average(c => c.Loss),
            GradNorm: contributions.Average(c => c.GradNorm),
            Clipped: contributions.Any(c => c.Clipped),
            Staleness: maxStaleness,
            Tokens: contributions.Sum(c => c.Tokens))));

        if (_settings.ObserverSnapshotEvery > 0 && Updates % _settings.ObserverSnapshotEvery == 0)
            outbox.Add(new(Recipient.Observer, toWorkers is { Lease: null, Encoding: Core.Compression.WireEncoding.Fp32 }
                ? toWorkers : new WeightsPublished(Version, Updates, _w.ToArray())));

        if (!last && _settings.RunSnapshots && _settings.SnapshotEvery > 0 && Updates % _settings.SnapshotEvery == 0)
            TakeSnapshot(final: false, outbox);

        if (_stalledInARow >= _settings.MaxStalledUpdates)
            Stalled(outbox);
        else if (Updates >= _settings.MaxUpdates)
            Finish(CompletionReason.ReachedMaxUpdates, $"applied {Updates} updates", outbox);
        else if (last)
            Finish(CompletionReason.Stopped, _stop!.Reason, outbox);
    }

    /// <summary>A fresh copy of W as workers get it (bf16-rounded with bf16 weights; sent as fp32 values at
    /// registration, once per worker, so every copy a worker computes on is the same rounding).</summary>
    private float[] CopyForWorkers()
    {
        var copy = _w.ToArray();
        if (_settings.WeightsEncoding == Core.Compression.WireEncoding.Bf16) Core.Compression.Bf16.RoundInPlace(copy);
        return copy;
    }

    /// <summary>W now, for the workers: a pooled array under a lease held by the caller (the actor
    /// adds one holder per receiver, then releases its own), or a fresh copy without a pool.
    /// With bf16 weights the copy is rounded (|W_worker − W| ≤ 2⁻⁸·|W| elementwise; nothing accumulates,
    /// since every copy is a fresh rounding of the fp32 W).</summary>
    private WeightsPublished Snapshot()
    {
        var encoding = _settings.WeightsEncoding;
        WeightsPublished published;
        if (_snapshots is null) published = new WeightsPublished(Version, Updates, _w.ToArray()) { Encoding = encoding };
        else
        {
            var lease = _snapshots.Rent();
            _w.CopyTo(lease.Weights, 0);
            published = new WeightsPublished(Version, Updates, lease.Weights) { Lease = lease, Encoding = encoding };
        }
        if (encoding == Core.Compression.WireEncoding.Bf16) Core.Compression.Bf16.RoundInPlace(published.Weights);
        return published;
    }

    private void Stop(StopTraining m, List<Outgoing> outbox)
    {
        if (m.AtUpdate is { } at && Updates < at && !IsFinished) _stop = m; // finish when update `at` is applied
        else Finish(CompletionReason.Stopped, m.Reason, outbox);
    }

    private void NonFiniteReported(Worker.NonFiniteGradientSkipped m, List<Outgoing> outbox)
    {
        if (_lastChunk.TryGetValue(m.WorkerId, out long last) && m.ChunkId > last) _lastChunk[m.WorkerId] = m.ChunkId;
        Counted(m.WorkerId, m.ChunkId);
        _nonFiniteReports++;
        outbox.Add(new(Recipient.Observer, m));
        if (!IsFinished && _nonFiniteReports > _settings.MaxNonFiniteReports)
            Finish(CompletionReason.Diverged,
                $"{_nonFiniteReports} non-finite gradients reported (limit {_settings.MaxNonFiniteReports})", outbox);
    }

    private void Stalled(List<Outgoing> outbox) =>
        Finish(CompletionReason.Diverged,
            $"W has not changed in {_stalledInARow} updates in a row: each would have made W or the optimizer state non-finite", outbox);

    /// <summary>A refusal for <paramref name="reason"/> spends the chunk (its gradient is lost by the mode's rule and the
    /// slot goes on after it), unless the push never counted: the run was over, the worker unknown, the chunk a resend.</summary>
    public static bool SpendsChunk(RejectionReason reason) =>
        reason is not (RejectionReason.TrainingFinished or RejectionReason.UnknownWorker or RejectionReason.DuplicateChunk);

    private void Reject(PushGradient m, RejectionReason reason, string detail, List<Outgoing> outbox)
    {
        _rejections[(int)reason]++;
        if (SpendsChunk(reason)) Counted(m.WorkerId, m.ChunkId);
        var rejected = new GradientRejected(m.WorkerId, m.ChunkId, m.BaseVersion, reason, detail, Version);
        outbox.Add(new(reason == RejectionReason.UnknownWorker ? Recipient.Sender : Recipient.Worker(m.WorkerId), rejected));
        outbox.Add(new(Recipient.Observer, rejected));
    }

    private void Finish(CompletionReason reason, string detail, List<Outgoing> outbox)
    {
        if (IsFinished) return;
        IsFinished = true;
        _round.Clear();
        _completion = new TrainingCompleted(reason, detail, Version, _w.ToArray(), Stats());
        if (_settings.RunSnapshots && reason != CompletionReason.Diverged) TakeSnapshot(final: true, outbox);
        else DeliverSnapshots(outbox);
    }

    // ---- run snapshots ------------------------------------------------------------------------

    /// <summary>The worker's chunk is in W or refused: a snapshot counts it.</summary>
    private void Counted(int worker, long chunk)
    {
        if (_lastCounted.TryGetValue(worker, out long last) && chunk > last) _lastCounted[worker] = chunk;
    }

    /// <summary>Copies W and the rule's state now and asks every registered worker for its streams.</summary>
    private void TakeSnapshot(bool final, List<Outgoing> outbox)
    {
        long id = _nextSnapshotId++;
        var optimizer = (_rule as OptimizerUpdateRule)?.State?.Clone();
        var server = new RunSnapshot(Updates, Version, _w.ToArray(), optimizer, [], final);
        var workers = new SortedDictionary<int, WorkerSnapshot?>();
        if (_settings.SnapshotWorkers)
            foreach (var (worker, lastChunk) in _lastCounted.OrderBy(kv => kv.Key))
            {
                workers[worker] = null;
                outbox.Add(new(Recipient.Worker(worker), new SnapshotRequested(id, worker, lastChunk)));
            }
        _pending[id] = new PendingSnapshot(server, workers);
        DeliverSnapshots(outbox);
    }

    private void SnapshotAnswered(WorkerSnapshotTaken m, List<Outgoing> outbox)
    {
        // an answer from a worker the snapshot stopped waiting for (it left) changes nothing
        if (!_pending.TryGetValue(m.SnapshotId, out var p) || !p.Workers.ContainsKey(m.WorkerId)) return;
        p.Workers[m.WorkerId] = m.Snapshot;
        DeliverSnapshots(outbox);
    }

    /// <summary>Sends the complete snapshots in the order they were taken, then the held completion
    /// once no snapshot is pending.</summary>
    private void DeliverSnapshots(List<Outgoing> outbox)
    {
        while (_pending.Count > 0)
        {
            var (id, p) = _pending.First();
            if (p.Workers.Values.Any(w => w is null)) return;
            _pending.Remove(id);
            outbox.Add(new(Recipient.Observer, p.Server with { Workers = p.Workers.Values.Select(w => w!).ToArray() }));
        }
        if (_completion is { } done)
        {
            _completion = null;
            outbox.Add(new(Recipient.Observer, done));
        }
    }
}
