namespace ActorTrainer.Cli.Commands;

internal static class BenchCommand
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("error: bench is being wired to the core");
        return Task.FromResult(1);
    }
}
