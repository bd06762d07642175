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
            "--tensor-port", "0", "--progress", "off", .. TestNodes.Credentials(role), .. role == "ps" ? new[] { "--workers", "1", "--out", run } : []];
        var r = CliHarness.Run(args);

        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}; stderr: {r.Err}");
        Assert.Contains($"error: cannot listen on 127.0.0.1:{port} (AddressAlreadyInUse", r.Err);
        Assert.Contains("Choose another --port", r.Err);
        Assert.DoesNotContain("   at ", r.Err); // no stack trace
        Assert.False(Directory.Exists(run), "a run directory was created for a node that never started");
    }

    [Fact]
    public void A_node_without_certificates_or_insecure_refuses_to_start_with_one_error_line()
    {
        string run = Path.Combine(_root, "run");
        var r = CliHarness.Run("node", "--role", "ps", "--config", TestNodes.LocalConf, "--workers", "1", "--out", run, "--progress", "off");

        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}; stderr: {r.Err}");
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: a cluster node needs the run's certificates: make them once with `actortrainer certs --out DIR", line);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void A_node_whose_certificate_is_missing_says_how_to_issue_it()
    {
        string certs = Path.Combine(_root, "certs");
        Assert.Equal(0, CliHarness.Run("certs", "--out", certs, "--nodes", "ps").ExitCode);
        var r = CliHarness.Run("node", "--role", "worker", "--config", TestNodes.LocalConf, "--progress", "off", "--certs", certs, "--node-name", "worker-9");

        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}; stderr: {r.Err}");
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("worker-9.pfx", line);
        Assert.Contains($"actortrainer certs --out {certs} --nodes worker-9", line);
        Assert.DoesNotContain("   at ", r.Err);
    }
}
