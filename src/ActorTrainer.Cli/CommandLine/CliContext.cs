namespace ActorTrainer.Cli.CommandLine;

/// <summary>
/// What a command runs with: its output streams and the stop request (Ctrl-C or SIGTERM in the real
/// process; any token in tests, so stopping is tested without a signal).
/// </summary>
public sealed record CliContext(TextWriter Out, TextWriter Err, CancellationToken Stop);
