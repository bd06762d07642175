namespace ActorTrainer.Core.Checkpoints;

/// <summary>
/// A checkpoint file that cannot be used: missing, truncated, corrupt, of an unsupported dtype, or
/// not matching the run (shape, vocabulary). The message names the file and says what is wrong.
/// </summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string message) : base(message) { }
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}
