using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.ParameterServer;

// A consistent snapshot of a running run, taken without stopping it (for checkpoints): the server
// copies W and the update rule's state after update u and asks every worker for its streams just after
// its last chunk that update u counted. Server → worker messages are delivered in order, so a worker
// gets the request before any answer to a later chunk and still holds that chunk's state.

/// <summary>Server → worker: send your streams' state just after chunk <paramref name="LastChunk"/>, the last
/// of yours snapshot <paramref name="SnapshotId"/> counts (long.MinValue: none yet).</summary>
public sealed record SnapshotRequested(long SnapshotId, int WorkerId, long LastChunk) : ITrainerMessage;

/// <summary>Worker → server: the answer to <see cref="SnapshotRequested"/>; the snapshot is the worker's copy,
/// not touched after sending.</summary>
public sealed record WorkerSnapshotTaken(long SnapshotId, int WorkerId, WorkerSnapshot Snapshot) : ITrainerMessage;

/// <summary>
/// Server → observer: the run after update <paramref name="UpdateNumber"/> at <paramref name="Version"/>, all of it
/// consistent: W, the update rule's optimizer state (null when the rule keeps none), and each worker's streams
/// right after its last chunk in W, by worker id. <paramref name="Final"/>: taken as the run ended. Every array is
/// a copy owned by the receiver. Sharded: each shard sends its slices (workers from shard 0 only).
/// </summary>
public sealed record RunSnapshot(
    long UpdateNumber, long Version, float[] Weights, OptimizerState? Optimizer,
    IReadOnlyList<WorkerSnapshot> Workers, bool Final) : ITrainerEvent;
