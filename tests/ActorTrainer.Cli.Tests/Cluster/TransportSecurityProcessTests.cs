using System.Net.Sockets;
using System.Text.RegularExpressions;
using ActorTrainer.Actors.Security;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Cli.Cluster;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// Mutual TLS between real node processes: only holders of the run's certificates get in, on either
/// port; plaintext runs only when asked for, and says what it risks. Timeouts only guard against hangs.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(ClusterProcessesCollection.Name)]
public sealed partial class TransportSecurityProcessTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);
    private static readonly string[] Tiny = ["--hidden", "16", "--batch", "4", "--chunk", "10", "--eval-every", "0", "--progress", "off", "--sample", "0"];

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"at-tls-{Guid.NewGuid():N}");

    public TransportSecurityProcessTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string[] Node(string role, int seedPort, params string[] more) =>
        ["--role", role, "--config", TestNodes.LocalConf, "--seeds", $"127.0.0.1:{seedPort}", .. Tiny, .. more];

    private NodeProcess StartPs(int port, params string[] more) =>
        TestNodes.Start("ps", Node("ps", port, ["--port", $"{port}", "--workers", "1", "--out", Path.Combine(_root, "run"), .. more.Contains("--updates") ? more : ["--updates", "30", .. more]]));

    /// <summary>Waits (bounded) until <paramref name="node"/>'s stderr matches; the match.</summary>
    private static async Task<Match> WaitForAsync(NodeProcess node, Regex pattern)
    {
        using var cts = new CancellationTokenSource(RunTimeout);
        while (true)
        {
            var m = pattern.Match(node.Stderr);
            if (m.Success) return m;
            if (node.HasExited) throw new InvalidOperationException($"{node.Name} exited first.\n{node.Describe()}");
            await Task.Delay(100, cts.Token);
        }
    }

    [GeneratedRegex(@"tensor channel on 127\.0\.0\.1:(\d+), mutual TLS")]
    private static partial Regex TensorChannelLine();

    [GeneratedRegex(@"ps node up at ")]
    private static partial Regex PsUp();

    [GeneratedRegex(@"worker node (\S+) joined")]
    private static partial Regex WorkerJoined();

    [Fact]
    public async Task A_node_with_a_certificate_of_another_ca_is_refused_at_the_handshake_and_never_joins()
    {
        string other = Path.Combine(_root, "other-ca");
        RunCertificates.Create(other, ["worker-1"], ["127.0.0.1"], DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        int port = TestNodes.FreePort();
        await using var ps = StartPs(port);
        await WaitForAsync(ps, PsUp());

        await using var stranger = TestNodes.Start("stranger", Node("worker", port, "--workers-per-node", "1", "--join-timeout", "8s",
            "--certs", other, "--node-name", "worker-1"));
        int exit = await stranger.ExitCodeAsync(RunTimeout);

        Assert.True(exit == 1, stranger.Describe());
        Assert.Contains("could not join the cluster", stranger.Stderr);
        Assert.Contains("refused a TLS connection", ps.Stderr); // refused at the handshake, with the reason
        Assert.Contains("not issued by this run's CA", ps.Stderr);
        Assert.DoesNotContain("joined", ps.Stderr);
        Assert.False(ps.HasExited, ps.Describe()); // the ps goes on waiting for a member
    }

    [Fact]
    public async Task A_raw_tcp_client_on_the_tensor_port_is_refused_at_the_handshake_and_gets_no_weights()
    {
        int port = TestNodes.FreePort();
        await using var ps = StartPs(port, "--updates", "1000000"); // still training when the stranger comes; killed at the end
        int tensorPort = int.Parse((await WaitForAsync(ps, TensorChannelLine())).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        await using var worker = TestNodes.Start("worker-1", Node("worker", port, "--workers-per-node", "1", "--join-timeout", "60s"));
        string member = (await WaitForAsync(ps, WorkerJoined())).Groups[1].Value;

        // The attack of issue 13: a Hello in the joined member's name, in plaintext.
        using var raw = new TcpClient();
        await raw.ConnectAsync("127.0.0.1", tensorPort);
        var stream = raw.GetStream();
        ChannelFrameCodec.Write(stream, new HelloFrame(member), new byte[ChannelFrameCodec.MaxHeaderLength]);
        long received = 0;
        using (var cts = new CancellationTokenSource(RunTimeout))
        {
            var buffer = new byte[4096];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0) received += n;
            }
            catch (IOException) { } // reset: refused too
        }

        // At most a TLS alert: no Welcome, no weights frame (the model's weights are 4·P bytes, P in the thousands).
        Assert.True(received < 64, $"{received} bytes came back to a client that spoke no TLS");
        Assert.False(ps.HasExited, ps.Describe());
        Assert.False(worker.HasExited, worker.Describe()); // the member trains on, its connection untouched
    }

    [Fact]
    public async Task Plaintext_runs_only_with_insecure_and_each_node_warns_once()
    {
        int port = TestNodes.FreePort();
        await using var ps = StartPs(port, "--insecure");
        await using var worker = TestNodes.Start("worker", Node("worker", port, "--workers-per-node", "1", "--join-timeout", "60s", "--insecure"));

        Assert.True(await ps.ExitCodeAsync(RunTimeout) == 0, ps.Describe());
        Assert.True(await worker.ExitCodeAsync(RunTimeout) == 0, worker.Describe());
        foreach (var node in new[] { ps, worker })
        {
            var warnings = node.Stderr.Split('\n').Where(l => l.StartsWith("warning:", StringComparison.Ordinal)).ToList();
            Assert.Contains("anyone who can reach its ports can join the cluster, read the weights W and push gradients", Assert.Single(warnings));
        }
        Assert.Contains("akka.tcp://actortrainer@127.0.0.1", ps.Stderr);
        Assert.Contains("tensor channel on 127.0.0.1:", ps.Stderr);
        Assert.Contains(", plaintext", ps.Stderr);
    }
}
