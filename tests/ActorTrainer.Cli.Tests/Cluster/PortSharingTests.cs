namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>Two nodes never share an Akka port (tcp-reuse-addr = off): the second one stops with one
/// <c>error:</c> line and no Akka stack trace.</summary>
[Trait("Category", "Cluster")]
[Collection(ClusterProcessesCollection.Name)]
public sealed class PortSharingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"at-portshare-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    private string[] Ps(int port, string run) =>
        ["--role", "ps", "--config", TestNodes.LocalConf, "--port", $"{port}", "--seeds", $"127.0.0.1:{port}", "--tensor-port", "0",
         "--workers", "1", "--progress", "off", "--out", Path.Combine(_root, run)];

    [Fact]
    public async Task A_second_node_on_a_port_already_held_by_a_node_fails_with_one_error_line_and_no_stack_trace()
    {
        int port = TestNodes.FreePort();
        await using var first = TestNodes.Start("ps-1", Ps(port, "run1"));
        using (var up = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            while (first.Address is null && !first.HasExited) await Task.Delay(100, up.Token); // polls for the node's own "up at" line
        Assert.True(first.Address is not null, first.Describe());

        await using var second = TestNodes.Start("ps-2", Ps(port, "run2"));
        int code = await second.ExitCodeAsync(TimeSpan.FromSeconds(60));

        Assert.True(code == 2, second.Describe());
        var lines = second.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var errors = lines.Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, second.Describe());
        Assert.Contains($"cannot listen on 127.0.0.1:{port} (AddressAlreadyInUse", errors[0]);
        Assert.DoesNotContain("   at ", second.Stderr);
        Assert.DoesNotContain("[ERROR]", second.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_root, "run2")), "the second node made a run directory");
        Assert.False(first.HasExited, first.Describe());
    }
}
