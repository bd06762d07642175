namespace ActorTrainer.Cli.CommandLine;

/// <summary>Bad input from the user: printed as one clear line, exit code 2, no stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);
