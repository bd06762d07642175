namespace ActorTrainer.Cli.Commands;

internal static class TrainCommand
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("error: train is being wired to the core");
        return Task.FromResult(1);
    }
}
