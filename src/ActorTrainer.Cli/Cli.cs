using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Commands;

namespace ActorTrainer.Cli;

/// <summary>
/// Entry point: dispatches the subcommand and turns every user-facing failure into one clear
/// line on stderr and a non-zero exit code (2 = bad usage or input, 1 = the run failed).
/// </summary>
public static class Cli
{
    private static readonly (string Name, string Summary, Func<string[], TextWriter, TextWriter, Task<int>> Run)[] Commands =
    {
        ("train", "train a model in this process (the main job)", TrainCommand.RunAsync),
        ("bench", "single-thread throughput of the core loop or of a GEMM", BenchCommand.RunAsync),
        ("scale", "scaling sweep: workers × modes × k × shards, with server capacity", ScaleCommand.RunAsync),
        ("node", "one member of a training cluster: --role ps (parameter server) or worker", NodeCommand.RunAsync),
        ("certs", "the run's CA and node certificates for mutual TLS between cluster nodes", CertsCommand.RunAsync),
        ("diagnose", "gradient vs lag (Jacobians, rho(W_hh), dW_hh by lag) of a checkpoint or fresh model", DiagnoseCommand.RunAsync),
        ("experiment", "reproducible experiments: vanishing | truncation | clipping (table + PNG each)", ExperimentCommand.RunAsync),
    };

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            stdout.WriteLine(Usage());
            return args.Length == 0 ? 2 : 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command.Name is null)
        {
            stderr.WriteLine($"error: unknown command '{args[0]}'");
            stderr.WriteLine(Usage());
            return 2;
        }
        try
        {
            return await command.Run(args[1..], stdout, stderr);
        }
        catch (Exception e) when (UserFacing(e))
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    /// <summary>Failures that are the user's input, not a bug: no stack trace for these.</summary>
    private static bool UserFacing(Exception e) =>
        e is UsageException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException
        || e.GetType().Name is "DataException" or "CheckpointException";

    private static string Usage()
    {
        var lines = new List<string> { "usage: actortrainer <command> [options]   (actortrainer <command> --help for options)", "", "commands:" };
        lines.AddRange(Commands.Select(c => $"  {c.Name,-12} {c.Summary}"));
        return string.Join(Environment.NewLine, lines);
    }
}
