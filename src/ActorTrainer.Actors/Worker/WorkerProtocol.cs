namespace ActorTrainer.Actors.Worker;

// Messages a worker sends to itself or reports. The worker also receives the parameter server's
// replies (WorkerRegistered, WeightsPublished, GradientApplied, GradientRejected) and sends it
// RegisterWorker / PushGradient (see ParameterServerProtocol.cs).

/// <summary>
/// Self-message: compute the next chunk if the consistency rules allow it. Computing one chunk per
/// message lets weights that arrived meanwhile be taken in between chunks.
/// </summary>
public sealed record ComputeNextChunk(int WorkerId) : ITrainerMessage;

/// <summary>
/// The chunk's gradient was not finite, so it was not pushed (sent to the server, which counts it
/// and forwards it to the observer). The worker goes on with its next chunk on the same weights.
/// </summary>
public sealed record NonFiniteGradientSkipped(int WorkerId, long BaseVersion, long ChunkId, float Loss, double GradNorm)
    : ITrainerEvent;
