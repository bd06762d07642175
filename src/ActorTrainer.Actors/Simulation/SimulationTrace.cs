namespace ActorTrainer.Actors.Simulation;

/// <summary>One message handled by a node, with its virtual times: sent, in at the receiver, taken from
/// the receiver's mailbox, and its handler done (when what it sends leaves).</summary>
public sealed record Delivery(NodeId From, NodeId To, ITrainerMessage Message, double SentAt, double ArrivedAt, double StartedAt, double DoneAt);

/// <summary>One chunk a worker computed: on which versions (per shard), from when to when.</summary>
public sealed record ComputedChunk(int WorkerId, long ChunkId, long[] BaseVersions, double StartedAt, double DoneAt);

/// <summary>What the observer heard, when, from which shard.</summary>
public sealed record Observed(int Shard, ITrainerMessage Message, double At);

/// <summary>
/// Everything a simulated run did, in the order it happened (for tests: causality, determinism).
/// Only recorded when asked for (<see cref="ClusterSimulation"/>'s recordTrace): it holds every message.
/// </summary>
public sealed class SimulationTrace
{
    public List<Delivery> Deliveries { get; } = new();
    public List<ComputedChunk> Chunks { get; } = new();
    public List<Observed> Observed { get; } = new();
}
