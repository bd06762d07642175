using ActorTrainer.Cli.Cluster;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// The tests' way to start real `actortrainer node` processes: the CLI's shared launcher
/// (<see cref="NodeProcess"/>) on the actortrainer.dll built next to the test assembly (with its
/// hocon/ directory), in the temp directory, without the test environment's ACTORTRAINER_* variables.
/// </summary>
internal static class TestNodes
{
    public static CliExecutable Executable => CliExecutable.Current();
    public static string LocalConf => Executable.LocalConf;

    public static NodeProcess Start(string name, params string[] args) =>
        NodeProcess.Start(name, Executable, args, Path.GetTempPath(), k => k.StartsWith("ACTORTRAINER_", StringComparison.Ordinal));

    public static int FreePort() => NodeProcess.FreePort();
}
