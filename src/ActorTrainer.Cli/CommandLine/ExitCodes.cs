namespace ActorTrainer.Cli.CommandLine;

/// <summary>The process exit codes every command uses.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The run failed (diverged, a node failed).</summary>
    public const int Failed = 1;
    /// <summary>Bad usage or input.</summary>
    public const int Usage = 2;
    /// <summary>Stopped by Ctrl-C (128 + SIGINT), after the command saved its work.</summary>
    public const int Interrupted = 130;
}
