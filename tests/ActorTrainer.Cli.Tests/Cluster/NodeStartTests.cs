using System.Net;
using System.Net.Sockets;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>A node that cannot start: checked in this process, it stops before joining anything.</summary>
public sealed class NodeStartTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"at-nodestart-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [Theory]
    [InlineData("ps")]
    [InlineData("worker")]
    public void A_port_in_use_is_a_one_line_error_and_the_ps_writes_no_run_directory(string role)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        string run = Path.Combine(_root, "run");

        string[] args = ["node", "--role", role, "--config", TestNodes.LocalConf, "--port", $"{port}", "--seeds", $"127.0.0.1:{port}",
            "--tensor-port", "-1", "--progress", "off", .. TestNodes.Credentials(role), .. role == "ps" ? new[] { "--workers", "1", "--out", run } : []];
        var r = CliHarness.Run(args);

        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}; stderr: {r.Err}");
        Assert.Contains($"error: cannot listen on 127.0.0.1:{port} (AddressAlreadyInUse", r.Err);
        Assert.Contains("Choose another --port", r.Err);
        Assert.DoesNotContain("   at ", r.Err); // no stack trace
        Assert.False(Directory.Exists(run), "a run directory was created for a node that never started");
    }
}
