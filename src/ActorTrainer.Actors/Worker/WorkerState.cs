using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Sharding;
using System.Numerics.Tensors;
using ActorTrainer.Core.Compression;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Worker;

/// <summary>Lifecycle of a worker.</summary>
public enum WorkerPhase { Registering, Running, Stopped }

/// <summary>
/// One worker's logic, without Akka, around an <see cref="IGradientComputer"/> (which carries the
/// hidden state and data position from chunk to chunk). Holds the local W and its version; on
/// weights it computes the next chunk and pushes its gradient, one chunk per
/// <see cref="ComputeNextChunk"/> self-message.
///
/// When it may compute again:
/// - sync: only on weights newer than those of its last push (one gradient per round);
/// - async: always, on the newest weights it holds;
/// - ssp: while its weights are at most s versions behind the newest version it has heard of;
/// - every mode: while fewer than MaxInFlight pushes await the server's answer (flow control).
/// A non-finite gradient is never pushed; it is reported and the worker moves on.
/// For run snapshots it keeps h after each chunk the server may still count (those in flight and the
/// last answered), and answers <see cref="SnapshotRequested"/> with its streams just after the chunk asked.
///
/// Sharded servers (<see cref="ShardLayout"/> with N &gt; 1): the worker registers with every shard,
/// assembles its W from the N slices and pushes gradient slice i, with shard i's version as base
/// version, to shard i. Each shard has its own version, so the rules above hold per shard, and the
/// worker computes only when they hold for every shard at once — that is the consistent set:
/// - sync: every shard has published a version newer than the worker's last push to it; since a
///   shard's round closes only when every worker has pushed to it, all shards then sit at the same
///   round and the assembled W is exactly the unsharded server's W;
/// - async: the newest slice of each shard, whatever their versions (no cross-shard consistency,
///   as in ps-lite/Downpour: slices may differ by the updates in flight);
/// - ssp: every shard's slice is at most s versions behind the newest version heard from that shard;
/// - flow control: fewer than MaxInFlight unanswered pushes at every shard.
/// A rejection or the end of training from any shard counts as such for the worker.
/// Not thread-safe: one actor owns it.
/// </summary>
public sealed class WorkerState
{
    private readonly IGradientComputer _computer;
    private readonly WorkerSettings _settings;
    private readonly ShardLayout _layout;
    private float[]? _w;                  // (P) local W. One shard: the server's published array, shared
                                          // read-only; N shards: our own buffer, assembled slice by slice
    private SnapshotLease? _wLease;       // one shard: the lease on _w's array, released when _w is replaced
    private readonly bool[] _registered;  // (N) weights received from shard i
    private readonly long[] _localVersion, _knownVersion; // (N) version of slice i held / newest heard of
    private readonly long[] _waitBeyondVersion;           // (N) sync: compute only when local_i > this
    private readonly int[] _inFlight;     // (N) pushes to shard i not yet answered (applied or rejected)
    private readonly PushBuffers[] _buffers; // (N) gradient arrays pushed to shard i, reused once answered
    private readonly float[]? _scratch;   // (P) N shards: the whole gradient, sliced into shard buffers
    private bool _tickPending;
    private readonly WorkerSnapshot _start;  // the streams before this worker's first chunk
    private readonly List<(long Chunk, float[] Hidden)> _after = new(); // h (B×H) after each chunk a snapshot may ask for
    private readonly Stack<float[]> _freeHidden = new();               // arrays of _after, reused
    private readonly IGradientEncoder _encoder;  // the run's push encoding (top-k: this worker's residual), from _push
    private readonly PushState _push;           // encoder and local optimizer state, kept for the whole run
    private readonly bool _pushesDeltas;         // local steps or top-k: push W₀ − W_loc (see ComputeLocalStep)
    // pushes of changes of W only, allocated at the first window:
    private float[]? _windowStart, _local, _stepGrad; // (P) W₀ of the window, the local W, one chunk's gradient
    private readonly long[] _windowBase;  // (N) W₀'s version per shard: the push's base versions
    private int _windowSteps;             // finite chunks applied locally in the open window
    private PushSummary _window;          // the open window's chunks (loss and norm summed until it is pushed)

    /// <param name="layout">How W is split across server shards; null = one unsharded server.</param>
    public WorkerState(int workerId, IGradientComputer computer, WorkerSettings settings, ShardLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(computer);
        ArgumentNullException.ThrowIfNull(settings);
        if (workerId < 0) throw new ArgumentOutOfRangeException(nameof(workerId), workerId, "worker id must be ≥ 0");
        layout ??= ShardLayout.Single(computer.ParameterCount);
        if (layout.ParameterCount != computer.ParameterCount)
            throw new ArgumentException(
                $"the shard layout covers {layout.ParameterCount} parameters but the computer has {computer.ParameterCount}", nameof(layout));
        WorkerId = workerId;
        _computer = computer;
        _settings = settings;
        _layout = layout;
        int n = layout.Count;
        _registered = new bool[n];
        _localVersion = Enumerable.Repeat(-1L, n).ToArray();
        _knownVersion = Enumerable.Repeat(-1L, n).ToArray();
        _waitBeyondVersion = Enumerable.Repeat(-1L, n).ToArray();
        _inFlight = new int[n];
        _buffers = layout.Ranges.Select(r => new PushBuffers(r.Count)).ToArray();
        _scratch = n > 1 ? new float[layout.ParameterCount] : null;
        _push = new PushState(settings, layout.ParameterCount);
        _encoder = _push.Encoder;
        _pushesDeltas = GradientEncoding.PushesDeltas(settings.Encoding, settings.LocalSteps);
        _windowBase = new long[n];
        Fingerprint = new ModelFingerprint(computer.ParameterCount, settings.ModelShape);
        _start = computer.Snapshot();
    }

    public int WorkerId { get; }
    /// <summary>The whole model's fingerprint; each shard is registered with <see cref="ShardLayout.Fingerprint"/>.</summary>
    public ModelFingerprint Fingerprint { get; }
    public ShardLayout Layout => _layout;
    public WorkerPhase Phase { get; private set; } = WorkerPhase.Registering;
    /// <summary>Why the worker stopped (null while it runs).</summary>
    public string? StopReason { get; private set; }
    /// <summary>Version of the local W (−1 before registration); sharded: the oldest slice's version.</summary>
    public long LocalVersion => _localVersion.Min();
    public long NonFiniteSkipped { get; private set; }
    /// <summary>Pushes awaiting the server's answer; sharded: at the shard with the most.</summary>
    public int InFlight => _inFlight.Max();
    /// <summary>Gradient arrays allocated so far, all shards together (flat once pushes are answered).</summary>
    public int GradientBuffersAllocated => _buffers.Sum(b => b.Allocated);

    /// <summary>The first messages: ask the server (every shard) to register.</summary>
    public IReadOnlyList<Outgoing> Start() => _layout.Ranges
        .Select(r => new Outgoing(Recipient.Server(r.Index), new RegisterWorker(WorkerId, _layout.Fingerprint(r.Index, _settings.ModelShape))))
        .ToArray();

    /// <summary>Processes one message — from server shard <paramref name="shard"/> (0 when unsharded;
    /// ignored for the self-tick); returns what to send, in order.</summary>
    public IReadOnlyList<Outgoing> Handle(ITrainerMessage message, int shard = 0)
    {
        ArgumentNullException.ThrowIfNull(message);
        if ((uint)shard >= (uint)_layout.Count)
            throw new ArgumentOutOfRangeException(nameof(shard), shard, $"shard index must be in [0, {_layout.Count})");
        var outbox = new List<Outgoing>();
        switch (message)
        {
            case WorkerRegistered m:
                if (m.WorkerId != WorkerId)
                    throw new ArgumentException($"worker {WorkerId} got the registration of worker {m.WorkerId}", nameof(message));
                TakeWeights(shard, m.Version, m.Weights);
                _registered[shard] = true;
                if (Phase == WorkerPhase.Registering && _registered.All(r => r)) Phase = WorkerPhase.Running;
                break;
            case RegistrationRejected m:
                Stop($"registration rejected: {m.Reason}");
                break;
            case WeightsPublished m:
                TakeWeights(shard, m.Version, m.Weights, m.Lease);
                break;
            case GradientApplied m:
                Answered(shard, m.ChunkId);
                _buffers[shard].Answered(m.ChunkId);
                HearOf(shard, m.Version);
                break;
            case GradientRejected m:
                Answered(shard, m.ChunkId);
                _buffers[shard].Answered(m.ChunkId);
                HearOf(shard, m.CurrentVersion);
                if (m.Reason == RejectionReason.TrainingFinished) Stop("training finished");
                // Sync: the open round still waits for this worker, so it may compute again once it
                // holds the server's current weights (unless its gradient is already in the round).
                else if (m.Reason != RejectionReason.AlreadyInRound)
                    _waitBeyondVersion[shard] = Math.Min(_waitBeyondVersion[shard], m.CurrentVersion - 1);
                break;
            case SnapshotRequested m:
                outbox.Add(new(Recipient.Server(shard), new WorkerSnapshotTaken(m.SnapshotId, WorkerId, StreamsAfter(m.LastChunk))));
                break;
            case ComputeNextChunk:
                _tickPending = false;
                if (MayCompute()) ComputeAndPush(outbox);
                break;
            default:
                throw new ArgumentException($"a worker does not handle {message.GetType().Name}", nameof(message));
        }
        ScheduleIfAllowed(outbox);
        return outbox;
    }

    /// <param name="lease">Set when the array is pooled by an in-process server: released here once
    /// this worker no longer reads it (at once if the weights are not taken, or are copied).</param>
    private void TakeWeights(int shard, long version, float[] weights, SnapshotLease? lease = null)
    {
        var range = _layout[shard];
        if (weights.Length != range.Count)
        {
            lease?.Release();
            throw new ArgumentException(_layout.Count == 1
                    ? $"worker {WorkerId} got weights of length {weights.Length}, its model has {_computer.ParameterCount}"
                    : $"worker {WorkerId} got weights of length {weights.Length} from {range}, which has {range.Count}",
                nameof(weights));
        }
        HearOf(shard, version);
        if (version <= _localVersion[shard] || Phase == WorkerPhase.Stopped)
        {
            lease?.Release(); // older or same weights (keep ours), or no more chunks
            return;
        }
        if (_layout.Count == 1)
        {
            _wLease?.Release();
            (_w, _wLease) = (weights, lease); // shared read-only, no copy
        }
        else
        {
            weights.CopyTo((_w ??= new float[_layout.ParameterCount]).AsSpan(range.Offset, range.Count));
            lease?.Release();
        }
        _localVersion[shard] = version;
    }

    /// <summary>The server has answered the push of <paramref name="chunk"/>: a later snapshot asks for it or a later chunk.</summary>
    private void Answered(int shard, long chunk)
    {
        _inFlight[shard] = Math.Max(0, _inFlight[shard] - 1);
        if (shard == 0) ForgetBefore(chunk); // snapshots come from shard 0
    }

    /// <summary>Keeps h after the chunk just computed, for a snapshot that may count it.</summary>
    private void Remember(long chunk)
    {
        var h = _freeHidden.Count > 0 ? _freeHidden.Pop() : new float[_start.Hidden.Length]; // (B×H)
        _computer.CopyHidden(h);
        _after.Add((chunk, h));
    }

    private void ForgetBefore(long chunk)
    {
        int n = 0;
        while (n < _after.Count && _after[n].Chunk < chunk) _freeHidden.Push(_after[n++].Hidden);
        _after.RemoveRange(0, n);
    }

    /// <summary>The streams just after <paramref name="lastChunk"/> (long.MinValue: before the first chunk).</summary>
    private WorkerSnapshot StreamsAfter(long lastChunk)
    {
        if (lastChunk == long.MinValue) return _start with { Hidden = (float[])_start.Hidden.Clone() };
        int i = _after.FindIndex(a => a.Chunk == lastChunk);
        if (i < 0) throw new InvalidOperationException($"worker {WorkerId} was asked for its state after chunk {lastChunk}, which it no longer holds");
        var snapshot = _start with { NextChunk = lastChunk + 1, Hidden = (float[])_after[i].Hidden.Clone() };
        ForgetBefore(lastChunk);
        return snapshot;
    }

    private void HearOf(int shard, long version) => _knownVersion[shard] = Math.Max(_knownVersion[shard], version);

    private void Stop(string reason)
    {
        if (Phase == WorkerPhase.Stopped) return;
        Phase = WorkerPhase.Stopped;
        StopReason = reason;
        _wLease?.Release(); // no more chunks: the array may go back to the pool
        _wLease = null;
    }

    /// <summary>The consistency mode's rule for computing on the local weights now (at every shard).</summary>
    public bool MayCompute()
    {
        if (Phase != WorkerPhase.Running || _w is null) return false;
        for (int i = 0; i < _layout.Count; i++)
        {
            if (_inFlight[i] >= _settings.MaxInFlight) return false;
            bool allowed = _settings.Mode switch
            {
                ConsistencyMode.Sync => _localVersion[i] > _waitBeyondVersion[i],
                ConsistencyMode.Ssp => _knownVersion[i] - _localVersion[i] <= _settings.Staleness,
                _ => true,
            };
            if (!allowed) return false;
        }
        return true;
    }

    private void ScheduleIfAllowed(List<Outgoing> outbox)
    {
        if (_tickPending || !MayCompute()) return;
        _tickPending = true;
        outbox.Add(new(Recipient.Self, new ComputeNextChunk(WorkerId)));
    }

    private void ComputeAndPush(List<Outgoing> outbox)
    {
        if (_pushesDeltas) { ComputeLocalStep(outbox); return; }
        // One shard: the gradient is computed straight into the array pushed to it. N shards: into the
        // scratch, then sliced into each shard's array.
        var grad = _scratch ?? _buffers[0].Rent(); // (P)
        var outcome = _computer.ComputeNext(_w, grad);
        Remember(outcome.ChunkIndex);
        if (!outcome.Finite)
        {
            if (_scratch is null) _buffers[0].Return(grad);
            ReportNonFinite(outcome, outbox);
            return;
        }
        Push(grad, new PushSummary(outcome.ChunkIndex, 1, outcome.Loss, outcome.GradNorm, outcome.Clipped, outcome.Tokens), _localVersion, outbox);
    }

    /// <summary>
    /// Local steps (H = <see cref="WorkerSettings.LocalSteps"/>; also H = 1 with top-k, see
    /// <see cref="GradientEncoding.PushesDeltas"/>). A window starts on the newest W the worker holds,
    /// W₀ (copied: weights arriving during the window are kept for the next one):
    /// <code>
    ///   W_loc ← W₀;  for j = 1 … H:  g_j = clipped gradient of the next chunk on W_loc;  W_loc ← opt(W_loc, g_j)
    ///   push Δ = W₀ − W_loc  (elementwise, float), base version = W₀'s, covering the window's H chunks
    /// </code>
    /// opt is the run's optimizer, its state kept from window to window (DiLoCo's inner optimizer,
    /// in <see cref="PushState"/>); the server applies Δ with SGD at lr 1, so a sync round sets
    /// W ← W − mean Δ (model averaging). The push's loss and norm are the window's means, its tokens the
    /// sum. A non-finite chunk changes nothing locally: the window so far is pushed first (so the server
    /// expects the bad chunk next), then the chunk is reported as usual.
    /// </summary>
    private void ComputeLocalStep(List<Outgoing> outbox)
    {
        int p = _layout.ParameterCount;
        if (_windowSteps == 0)
        {
            _w.AsSpan().CopyTo(_windowStart ??= new float[p]);
            _w.AsSpan().CopyTo(_local ??= new float[p]);
            _localVersion.CopyTo(_windowBase, 0);
            _stepGrad ??= new float[p];
        }
        var outcome = _computer.ComputeNext(_local, _stepGrad);
        Remember(outcome.ChunkIndex);
        if (!outcome.Finite)
        {
            if (_windowSteps > 0) PushWindow(outbox);
            ReportNonFinite(outcome, outbox);
            return;
        }
        _settings.LocalOptimizer!.Step(_local, _stepGrad, _push.LocalOptimizerState!);
        _window = _windowSteps == 0
            ? new PushSummary(outcome.ChunkIndex, 1, outcome.Loss, outcome.GradNorm, outcome.Clipped, outcome.Tokens)
            : new PushSummary(outcome.ChunkIndex, _window.Chunks + 1, _window.Loss + outcome.Loss, _window.GradNorm + outcome.GradNorm,
                _window.Clipped || outcome.Clipped, _window.Tokens + outcome.Tokens);
        _windowSteps++;
        if (_windowSteps >= _settings.LocalSteps) PushWindow(outbox);
    }

    /// <summary>Pushes Δ = W₀ − W_loc of the window so far and starts a new window on the next chunk.</summary>
    private void PushWindow(List<Outgoing> outbox)
    {
        var delta = _scratch ?? _buffers[0].Rent(); // (P)
        TensorPrimitives.Subtract(_windowStart, _local, delta);
        int steps = _windowSteps;
        var w = _window;
        _windowSteps = 0;
        // the window covers every chunk id from its first to its last (none was skipped inside it)
        Push(delta, w with { Loss = w.Loss / steps, GradNorm = w.GradNorm / steps }, _windowBase, outbox);
    }

    private void ReportNonFinite(ChunkOutcome outcome, List<Outgoing> outbox)
    {
        NonFiniteSkipped++;
        // every shard counts it (divergence limit) and moves its last chunk id on
        foreach (var r in _layout.Ranges)
            outbox.Add(new(Recipient.Server(r.Index),
                new NonFiniteGradientSkipped(WorkerId, _localVersion[r.Index], outcome.ChunkIndex, outcome.Loss, outcome.GradNorm)));
    }

    /// <summary>What a push says besides its tensor: its last chunk id, how many chunks it covers, their
    /// loss and norm, whether any was clipped, their tokens.</summary>
    private readonly record struct PushSummary(long ChunkId, int Chunks, float Loss, double GradNorm, bool Clipped, int Tokens);

    /// <summary>Encodes <paramref name="grad"/> (P; the scratch or shard 0's array) and pushes it to every shard.</summary>
    private void Push(float[] grad, PushSummary push, long[] baseVersions, List<Outgoing> outbox)
    {
        _encoder.Encode(grad, baseVersions[0]); // the whole gradient: top-k selects over all of W, then slices (top-k runs on one shard)
        var hidden = _computer.Snapshot().Hidden; // (B×H) h after the chunk: a cluster server keeps it for the slot
        foreach (var r in _layout.Ranges)
        {
            // One shard: the whole array. N shards: slice i, copied into shard i's array. Either is
            // untouched until the shard answers. Clipping was done by the computer on the whole
            // gradient, so slicing does not change it.
            float[] slice = grad;
            if (_scratch is not null)
            {
                slice = _buffers[r.Index].Rent(); // (Count_i)
                grad.AsSpan(r.Offset, r.Count).CopyTo(slice);
            }
            _buffers[r.Index].Sent(push.ChunkId, slice);
            _inFlight[r.Index]++;
            _waitBeyondVersion[r.Index] = _localVersion[r.Index];
            outbox.Add(new(Recipient.Server(r.Index), new PushGradient(
                WorkerId, baseVersions[r.Index], push.ChunkId, slice, push.Loss, push.GradNorm, push.Clipped, push.Tokens)
                { Hidden = hidden, Encoding = _encoder.Wire, Chunks = push.Chunks }));
        }
    }
}
