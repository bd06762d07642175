namespace ActorTrainer.Actors.ParameterServer;

// Messages to and from the parameter server. Commands are imperative, replies and events past tense.
//
// ARRAYS ARE NOT COPIED. Akka passes local messages by reference, so a float[] in a message is
// shared with the receiver(s): the sender never touches an array after sending it, and receivers
// treat it as read-only (one published W may be shared by every worker and the observer).
// Versions: the server's W starts at version 0 (or a restored version) and gains 1 per update.
// Chunk ids: strictly increasing per worker (a computer's ChunkOutcome.ChunkIndex).

/// <summary>Asks to join the run. Answered by <see cref="WorkerRegistered"/> (possibly deferred
/// until the run's start quorum is reached) or <see cref="RegistrationRejected"/>.</summary>
public sealed record RegisterWorker(int WorkerId, ModelFingerprint Fingerprint) : ITrainerMessage;

/// <summary>The worker is in; <paramref name="Weights"/> is W at <paramref name="Version"/>.
/// The array is not copied: neither side writes to it after sending.</summary>
public sealed record WorkerRegistered(int WorkerId, long Version, float[] Weights) : ITrainerMessage;

/// <summary>The worker may not join (fingerprint mismatch, duplicate id, run finished).</summary>
public sealed record RegistrationRejected(int WorkerId, string Reason) : ITrainerEvent;

/// <summary>
/// A worker's clipped gradient of one chunk, computed on W at <paramref name="BaseVersion"/>.
/// <paramref name="Loss"/> is the chunk's mean loss, <paramref name="GradNorm"/> the L2 norm before
/// clipping, <paramref name="Tokens"/> the predictions the chunk covered. The gradient array is not
/// copied: the worker allocates it per chunk and never touches it after sending.
/// </summary>
public sealed record PushGradient(
    int WorkerId, long BaseVersion, long ChunkId, float[] Gradient,
    float Loss, double GradNorm, bool Clipped, int Tokens) : ITrainerMessage
{
    /// <summary>(B×H) the worker's carried h after this chunk, or null: in a cluster the server keeps
    /// it, so a slot that moves resumes with it. Not copied, like the gradient.</summary>
    public float[]? Hidden { get; init; }

    /// <summary>How the gradient crosses the wire. The worker's encoder has already made the values
    /// exactly what this packing carries (bf16-rounded, or zero outside the sent indices), so the
    /// server applies the same numbers in process and in a cluster.</summary>
    public Core.Compression.WireEncoding Encoding { get; init; }

    /// <summary>Chunks this push covers: ids ChunkId − Chunks + 1 … ChunkId (local steps: a window of
    /// several chunks pushed once; 1 otherwise).</summary>
    public int Chunks { get; init; } = 1;

    /// <summary>The first chunk id this push covers.</summary>
    public long FirstChunkId => ChunkId - Chunks + 1;
}

/// <summary>The gradient of (<paramref name="WorkerId"/>, <paramref name="ChunkId"/>) computed on
/// <paramref name="BaseVersion"/> is in W at <paramref name="Version"/>; staleness = the server's
/// version when it arrived − base version.</summary>
public sealed record GradientApplied(int WorkerId, long ChunkId, long BaseVersion, long Version, long Staleness)
    : ITrainerMessage;

/// <summary>The gradient was refused and W is untouched; <paramref name="CurrentVersion"/> tells the
/// worker how far the server has moved.</summary>
public sealed record GradientRejected(
    int WorkerId, long ChunkId, long BaseVersion, RejectionReason Reason, string Detail, long CurrentVersion)
    : ITrainerEvent;

/// <summary>W after update <paramref name="UpdateNumber"/>, at <paramref name="Version"/>; sent to
/// every registered worker (and, every so many updates, to the observer for validation). The array
/// is shared read-only by all receivers. In process it may come from a <see cref="SnapshotPool"/>:
/// then <see cref="Lease"/> is set and every receiver must <see cref="SnapshotLease.Release"/> it once
/// it no longer reads the array. The lease is not serialized (a copy owns its array).</summary>
public sealed record WeightsPublished(long Version, long UpdateNumber, float[] Weights) : ITrainerMessage
{
    public SnapshotLease? Lease { get; init; }

    /// <summary>How the weights cross the wire: <see cref="Core.Compression.WireEncoding.Bf16"/> when the server
    /// rounded this copy for the workers (its own W stays fp32), else fp32.</summary>
    public Core.Compression.WireEncoding Encoding { get; init; }
}

/// <summary>The worker is gone (it said so, or it terminated); in sync mode the open round stops
/// waiting for it.</summary>
public sealed record WorkerLeft(int WorkerId, string Reason) : ITrainerEvent;

/// <summary>Ends the run now: the server applies nothing more and reports <see cref="TrainingCompleted"/>.</summary>
/// <param name="AtUpdate">Finish once this many updates are applied (at once if they already are);
/// null = now. A sharded sync run stops the other shards at the update the first one completed on:
/// their last round's gradients may still be on the way, and stopping at once would drop it from
/// some shards only.</param>
public sealed record StopTraining(string Reason, long? AtUpdate = null) : ITrainerMessage;

/// <summary>
/// Metrics of one applied update. Async/ssp: one contributor. Sync: every active worker's gradient,
/// averaged in worker-id order; <paramref name="Loss"/> and <paramref name="GradNorm"/> are then the
/// contributors' means, <paramref name="Clipped"/> whether any was clipped, <paramref name="Staleness"/>
/// the largest. <paramref name="WorkerIds"/> and <paramref name="ChunkIds"/> are parallel, in worker-id order;
/// like every array in these messages they are not copied and never touched after sending.
/// </summary>
public sealed record UpdateApplied(
    long UpdateNumber, long Version, int[] WorkerIds, long[] ChunkIds,
    float Loss, double GradNorm, bool Clipped, long Staleness, int Tokens) : ITrainerEvent;

/// <summary>The run is over: final W (a copy, not touched again), why, and the server's counters.</summary>
public sealed record TrainingCompleted(
    CompletionReason Reason, string Detail, long Version, float[] Weights, ServerStats Stats) : ITrainerEvent;

/// <summary>
/// How loaded one server (shard) was, measured by its actor shell and sent to the observer just before
/// <see cref="TrainingCompleted"/>: <paramref name="BusySeconds"/> spent handling messages out of
/// <paramref name="ElapsedSeconds"/> since it started; tensor bytes received (gradient pushes) and
/// sent (weights, once per recipient), counted as the exact length <see cref="Serialization.TensorMessageSerializer"/>
/// gives them — what they would put on the wire between processes. Small control messages (acks,
/// rejections, registrations) are not counted.
/// </summary>
public sealed record ServerLoadReported(
    double BusySeconds, double ElapsedSeconds, long MessagesHandled, long TensorBytesReceived, long TensorBytesSent) : ITrainerEvent
{
    /// <summary>Busy / elapsed, in [0, 1].</summary>
    public double BusyFraction => ElapsedSeconds > 0 ? Math.Clamp(BusySeconds / ElapsedSeconds, 0, 1) : 0;
}

/// <summary>Why a run ended.</summary>
public enum CompletionReason
{
    /// <summary>The requested number of updates was applied.</summary>
    ReachedMaxUpdates,
    /// <summary>Someone sent <see cref="StopTraining"/> (e.g. cancellation).</summary>
    Stopped,
    /// <summary>Too many non-finite gradients: training diverged.</summary>
    Diverged,
}
