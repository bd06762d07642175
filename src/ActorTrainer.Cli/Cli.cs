using System.CommandLine;
using System.Reflection;
using System.CommandLine.Invocation;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Commands;

namespace ActorTrainer.Cli;

/// <summary>
/// Entry point: the command tree (System.CommandLine builds help, --version, typo suggestions and
/// shell completion from each command's option table) and the exit codes: every user-facing failure is
/// one `error:` line on stderr and exit 2; a failed run is 1; a run stopped by Ctrl-C is 130.
/// </summary>
public static class Cli
{
    public const string Description = "ActorTrainer: trains Elman RNN character models with actors (parameter server + workers), in one process or as a cluster.";

    /// <summary>Builds the command tree for one invocation.</summary>
    internal static RootCommand Build(CliContext context)
    {
        var root = new RootCommand(Description);
        // The library's --version reports the entry assembly (the test host's, under test): report this one's.
        root.Options.OfType<VersionOption>().Single().Action = new PrintVersion();
        root.Subcommands.Add(TrainCommand.Create(context));
        root.Subcommands.Add(SampleCommand.Create(context));
        root.Subcommands.Add(BenchCommand.Create(context));
        root.Subcommands.Add(ScaleCommand.Create(context));
        root.Subcommands.Add(NodeCommand.Create(context));
        root.Subcommands.Add(CertsCommand.Create(context));
        root.Subcommands.Add(DiagnoseCommand.Create(context));
        root.Subcommands.Add(ExperimentCommand.Create(context));
        return root;
    }

    /// <param name="stop">A stop request (Ctrl-C): commands that train end with a checkpoint and exit 130.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken stop = default)
    {
        var context = new CliContext(stdout, stderr, stop);
        ParseResult parsed;
        // No response files: a value such as --prime "@home" is text, not a file to expand.
        try { parsed = Build(context).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }); }
        catch (Exception e) when (UserFacing(e)) { return Fail(stderr, e); }
        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
        {
            stderr.WriteLine($"error: {ParseErrors.Describe(parsed)}");
            return ExitCodes.Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout, Error = stderr,
                EnableDefaultExceptionHandler = false, // failures below are ours to report
                ProcessTerminationTimeout = null,      // Ctrl-C arrives as `stop`, from Program
            }, stop);
        }
        catch (Exception e) when (UserFacing(e)) { return Fail(stderr, e); }
        catch (IOException e) // the run failed on its own files (e.g. the disk filled up): no stack trace for that either
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    /// <summary>This assembly's informational version: the version and the commit it was built from.</summary>
    public static string Version =>
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version);
            return ExitCodes.Ok;
        }
    }

    private static int Fail(TextWriter stderr, Exception e)
    {
        stderr.WriteLine($"error: {e.Message}");
        return ExitCodes.Usage;
    }

    /// <summary>Failures that are the user's input, not a bug: no stack trace for these.</summary>
    private static bool UserFacing(Exception e) =>
        e is UsageException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException
        || e.GetType().Name is "DataException" or "CheckpointException";
}
