namespace ActorTrainer.Actors.ParameterServer;

/// <summary>Why the parameter server refused a gradient (W is never touched by a refused one).</summary>
public enum RejectionReason
{
    /// <summary>The worker is not registered (never was, or has left).</summary>
    UnknownWorker,
    /// <summary>The chunk id is not above the last one received from that worker.</summary>
    DuplicateChunk,
    /// <summary>The gradient's length is not W's length.</summary>
    WrongLength,
    /// <summary>The gradient holds NaN or ±Inf.</summary>
    NonFinite,
    /// <summary>Computed on weights older than the mode allows (sync: any older; ssp: more than s).</summary>
    TooStale,
    /// <summary>The base version is newer than the server's: the worker cannot have seen it.</summary>
    FutureVersion,
    /// <summary>Sync: the worker already contributed to the open round.</summary>
    AlreadyInRound,
    /// <summary>The run has completed; nothing more is applied.</summary>
    TrainingFinished,
    /// <summary>Cluster: the chunk id is beyond the one the slot must push next (a chunk would be skipped).</summary>
    UnexpectedChunk,
    /// <summary>The gradient's L2 norm is above the run's clip-norm: the worker did not clip as the run says
    /// (refused rather than clipped here, since its direction is then no more trustworthy than its size).</summary>
    AboveClipNorm,
    /// <summary>An element is outside the run's ±clip-value.</summary>
    AboveClipValue,
    /// <summary>Applying it would leave NaN or ±∞ in W or the optimizer state (e.g. a square that overflows).</summary>
    NonFiniteUpdate,
}
