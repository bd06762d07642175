using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Worker;

/// <summary>Where a message from the worker's state goes.</summary>
public enum WorkerTarget { Server, Self }

/// <summary>One message the worker actor must send, in outbox order.</summary>
public readonly record struct WorkerOutput(WorkerTarget To, ITrainerMessage Message);

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
/// Not thread-safe: one actor owns it.
/// </summary>
public sealed class WorkerState
{
    private readonly IGradientComputer _computer;
    private readonly WorkerSettings _settings;
    private float[]? _w;              // (P) local copy of W, shared read-only with the server's message
    private long _waitBeyondVersion = -1; // sync: compute only when LocalVersion > this
    private bool _tickPending;
    private int _inFlight;            // pushes not yet answered by GradientApplied/GradientRejected

    public WorkerState(int workerId, IGradientComputer computer, WorkerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(computer);
        ArgumentNullException.ThrowIfNull(settings);
        if (workerId < 0) throw new ArgumentOutOfRangeException(nameof(workerId), workerId, "worker id must be ≥ 0");
        WorkerId = workerId;
        _computer = computer;
        _settings = settings;
        Fingerprint = new ModelFingerprint(computer.ParameterCount, settings.ModelShape);
    }

    public int WorkerId { get; }
    public ModelFingerprint Fingerprint { get; }
    public WorkerPhase Phase { get; private set; } = WorkerPhase.Registering;
    /// <summary>Why the worker stopped (null while it runs).</summary>
    public string? StopReason { get; private set; }
    /// <summary>Version of the local W (−1 before registration).</summary>
    public long LocalVersion { get; private set; } = -1;
    /// <summary>Newest server version heard of (weights, acks, rejections).</summary>
    public long KnownServerVersion { get; private set; } = -1;
    public long ChunksComputed { get; private set; }
    public long GradientsPushed { get; private set; }
    public long NonFiniteSkipped { get; private set; }
    /// <summary>Pushes awaiting the server's answer.</summary>
    public int InFlight => _inFlight;

    /// <summary>The first message: ask the server to register.</summary>
    public IReadOnlyList<WorkerOutput> Start() => [new(WorkerTarget.Server, new RegisterWorker(WorkerId, Fingerprint))];

    /// <summary>Processes one message; returns what to send, in order.</summary>
    public IReadOnlyList<WorkerOutput> Handle(ITrainerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var outbox = new List<WorkerOutput>();
        switch (message)
        {
            case WorkerRegistered m:
                if (m.WorkerId != WorkerId)
                    throw new ArgumentException($"worker {WorkerId} got the registration of worker {m.WorkerId}", nameof(message));
                if (Phase == WorkerPhase.Registering) Phase = WorkerPhase.Running;
                TakeWeights(m.Version, m.Weights);
                break;
            case RegistrationRejected m:
                Stop($"registration rejected: {m.Reason}");
                break;
            case WeightsPublished m:
                TakeWeights(m.Version, m.Weights);
                break;
            case GradientApplied m:
                Answered();
                HearOf(m.Version);
                break;
            case GradientRejected m:
                Answered();
                HearOf(m.CurrentVersion);
                if (m.Reason == RejectionReason.TrainingFinished) Stop("training finished");
                // Sync: the open round still waits for this worker, so it may compute again once it
                // holds the server's current weights (unless its gradient is already in the round).
                else if (m.Reason != RejectionReason.AlreadyInRound) _waitBeyondVersion = Math.Min(_waitBeyondVersion, m.CurrentVersion - 1);
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

    private void TakeWeights(long version, float[] weights)
    {
        if (weights.Length != _computer.ParameterCount)
            throw new ArgumentException(
                $"worker {WorkerId} got weights of length {weights.Length}, its model has {_computer.ParameterCount}", nameof(weights));
        HearOf(version);
        if (version <= LocalVersion) return; // older or same weights: keep ours
        _w = weights;
        LocalVersion = version;
    }

    private void Answered() => _inFlight = Math.Max(0, _inFlight - 1);

    private void HearOf(long version) => KnownServerVersion = Math.Max(KnownServerVersion, version);

    private void Stop(string reason)
    {
        if (Phase == WorkerPhase.Stopped) return;
        Phase = WorkerPhase.Stopped;
        StopReason = reason;
    }

    /// <summary>The consistency mode's rule for computing on the local weights now.</summary>
    public bool MayCompute()
    {
        if (Phase != WorkerPhase.Running || _w is null || _inFlight >= _settings.MaxInFlight) return false;
        return _settings.Mode switch
        {
            ConsistencyMode.Sync => LocalVersion > _waitBeyondVersion,
            ConsistencyMode.Ssp => KnownServerVersion - LocalVersion <= _settings.Staleness,
            _ => true,
        };
    }

    private void ScheduleIfAllowed(List<WorkerOutput> outbox)
    {
        if (_tickPending || !MayCompute()) return;
        _tickPending = true;
        outbox.Add(new(WorkerTarget.Self, new ComputeNextChunk(WorkerId)));
    }

    private void ComputeAndPush(List<WorkerOutput> outbox)
    {
        var grad = new float[_computer.ParameterCount]; // (P) handed to the server: a fresh array per chunk
        var outcome = _computer.ComputeNext(_w, grad);
        ChunksComputed++;
        if (!outcome.Finite)
        {
            NonFiniteSkipped++;
            outbox.Add(new(WorkerTarget.Server,
                new NonFiniteGradientSkipped(WorkerId, LocalVersion, outcome.ChunkIndex, outcome.Loss, outcome.GradNorm)));
            return;
        }
        GradientsPushed++;
        _inFlight++;
        _waitBeyondVersion = LocalVersion;
        outbox.Add(new(WorkerTarget.Server, new PushGradient(
            WorkerId, LocalVersion, outcome.ChunkIndex, grad, outcome.Loss, outcome.GradNorm, outcome.Clipped, outcome.Tokens)));
    }
}
