using ActorTrainer.Actors.Security;
using ActorTrainer.Cli.Cluster;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// The tests' way to start real `actortrainer node` processes: the CLI's shared launcher
/// (<see cref="NodeProcess"/>) on the actortrainer.dll built next to the test assembly (with its
/// hocon/ directory), in the temp directory, without the test environment's ACTORTRAINER_* variables.
/// Nodes run with mutual TLS, as a real cluster does: each gets a certificate of one test CA, named
/// after the node, unless its arguments say --certs or --insecure themselves.
/// </summary>
internal static class TestNodes
{
    private static readonly Lock Gate = new();

    public static CliExecutable Executable => CliExecutable.Current();
    public static string LocalConf => Executable.LocalConf;

    /// <summary>The tests' run CA and node certificates (one directory for the test process).</summary>
    public static string CertsDirectory { get; } = Path.Combine(Path.GetTempPath(), $"at-test-certs-{Environment.ProcessId}");

    public static NodeProcess Start(string name, params string[] args) =>
        NodeProcess.Start(name, Executable, args.Contains("--certs") || args.Contains("--insecure") ? args : [.. args, .. Credentials(name)],
            Path.GetTempPath(), k => k.StartsWith("ACTORTRAINER_", StringComparison.Ordinal));

    /// <summary>--certs and --node-name for node <paramref name="name"/>, issuing its certificate on first use.</summary>
    public static string[] Credentials(string name)
    {
        lock (Gate)
        {
            if (!File.Exists(Path.Combine(CertsDirectory, RunCertificates.NodeFile(name))))
                RunCertificates.Create(CertsDirectory, [name], ["127.0.0.1", "localhost"], DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        }
        return ["--certs", CertsDirectory, "--node-name", name];
    }

    public static int FreePort() => NodeProcess.FreePort();
}
