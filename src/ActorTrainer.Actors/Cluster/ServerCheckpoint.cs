using ActorTrainer.Core.Optim;

namespace ActorTrainer.Actors.Cluster;

/// <summary>
/// A consistent point of a cluster run, taken by the parameter server on its own thread after
/// update <paramref name="Updates"/>: W (P) and the optimizer state (copies, never touched again),
/// and for each slot g the chunk it resumes from (<paramref name="NextChunk"/>[g]) with the h (B×H)
/// the server received with the chunk before it (<paramref name="Hidden"/>[g]; empty = zeros, a slot
/// that has not pushed yet); <paramref name="Epoch"/> is the incarnation of the server that took it. Local only: sent to the observer on the server's own node, never over the wire.
/// </summary>
public sealed record ServerCheckpoint(long Updates, long Version, float[] Weights, OptimizerState? Optimizer, long[] NextChunk, float[][] Hidden, long Epoch = 0) : ITrainerMessage;
