using ActorTrainer.Core.Optim;

namespace ActorTrainer.Actors.Cluster;

/// <summary>
/// A consistent point of a cluster run, taken by the parameter server on its own thread after
/// update <paramref name="Updates"/>: W (P) and the optimizer state (copies, never touched again),
/// and for each slot g the chunk it resumes from (<paramref name="NextChunk"/>[g]). Hidden states
/// are not part of it: a slot that moves, or a run resumed from it, starts from h = 0.
/// Local only: sent to the observer on the server's own node, never over the wire.
/// </summary>
public sealed record ServerCheckpoint(long Updates, long Version, float[] Weights, OptimizerState? Optimizer, long[] NextChunk);
