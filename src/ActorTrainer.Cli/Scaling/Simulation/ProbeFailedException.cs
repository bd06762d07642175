namespace ActorTrainer.Cli.Scaling.Simulation;

/// <summary>A cost the simulator measures on this machine could not be measured; the message says which and why
/// (the sweep ends with it as one error line).</summary>
public sealed class ProbeFailedException(string message, Exception? inner = null) : Exception(message, inner);
