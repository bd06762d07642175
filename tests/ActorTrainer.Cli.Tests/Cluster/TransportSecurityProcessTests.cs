using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Security;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// Mutual TLS between real node processes: only holders of the run's certificates get in, on either
/// port; plaintext runs only when asked for, and says what it risks. Timeouts only guard against hangs.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(ClusterSecurityCollection.Name)]
public sealed partial class TransportSecurityProcessTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);

    /// <summary>The ps's --handshake-timeout in the idle-connection tests: short, so they wait seconds, not the
    /// default 10; far above a real handshake's milliseconds, so the member that joins afterwards is not refused.</summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(3);
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

    [GeneratedRegex(@"tensor channel on 127\.0\.0\.1:(\d+), plaintext")]
    private static partial Regex TensorChannelPlainLine();

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

    [Fact]
    public async Task A_member_can_neither_claim_another_nodes_identity_nor_push_for_a_slot_it_does_not_host()
    {
        int port = TestNodes.FreePort();
        await using var ps = StartPs(port, "--updates", "1000000"); // ended by SIGTERM once the rogue has tried everything
        await using var worker = TestNodes.Start("worker-1", Node("worker", port, "--workers-per-node", "1", "--join-timeout", "60s"));
        string member = (await WaitForAsync(ps, WorkerJoined())).Groups[1].Value;
        await using var rogue = await RogueMember.JoinClusterAsync(port, "worker-2", Tiny, RunTimeout);

        // A JoinRun naming the member: refused. As itself (its certificate's name) it is let in.
        var claim = await rogue.JoinRunAsync("worker-1", RunTimeout);
        Assert.Contains("cannot take another's identity", Assert.IsType<RunJoinRejected>(claim).Reason);
        var joined = Assert.IsType<RunJoined>(await rogue.JoinRunAsync("worker-2", RunTimeout));

        // A Hello naming the member's address: closed; the member's own connection is never replaced.
        using (var stolen = await rogue.HelloAsync(joined.TensorPort, member, joined.Epoch, RunTimeout))
        {
            Assert.Contains("already has a tensor connection", (await stolen.Closed.Task.WaitAsync(RunTimeout)).Reason);
            Assert.DoesNotContain(stolen.Frames, f => f is WelcomeFrame or MessageFrame);
        }
        await WaitForAsync(ps, new Regex($"refused a tensor connection that said Hello as {Regex.Escape(member)}: .*certificate is node 'worker-2'"));

        // Its own connection is welcomed but hosts no slot (the run's one slot is the member's): pushes for
        // slot 0 under any assignment, with the issue's chunk id, loss and gradient, are refused.
        using var own = await rogue.HelloAsync(joined.TensorPort, rogue.Address, joined.Epoch, RunTimeout);
        Assert.True(own.Frames.TryTake(out var first, RunTimeout));
        Assert.IsType<WelcomeFrame>(first);
        var poison = Enumerable.Repeat(1e30f, rogue.Parameters).ToArray();
        for (long assignment = 0; assignment < 5; assignment++)
            own.Connection.Send(new MessageFrame(new SlotPush(assignment, new PushGradient(0, 0, 1_000_000_005, poison, 123.456f, 1e30, false, 40))));
        await WaitForAsync(ps, new Regex($@"refused a push for slot 0, chunk 1000000005: slot 0 is not hosted by node {Regex.Escape(rogue.Address)}"));
        // The server reads a connection's frames, then its end, in order: once the rogue is dropped for
        // closing it, all five pushes have been refused (a SIGTERM sooner could end the run before the last).
        own.Dispose();
        await WaitForAsync(ps, new Regex($@"worker node {Regex.Escape(rogue.Address)} dropped"));
        Assert.False(worker.HasExited, worker.Describe()); // the member trains on

        ps.Terminate(); // the run ends in order, with its checkpoint
        Assert.True(await ps.ExitCodeAsync(RunTimeout) == 0, ps.Describe());
        Assert.True(await worker.ExitCodeAsync(RunTimeout) == 0, worker.Describe());
        Assert.Contains("refused 5 pushes in all for slots their sender did not host", ps.Stderr);
        Assert.DoesNotContain(own.Frames, f => f is MessageFrame { Message: WeightsPublished or WorkerRegistered }); // no W for it
        // Nothing it sent was applied: slot 0's chunks are the member's, from 0, each once; no row has its loss.
        string metrics = Path.Combine(_root, "run", "metrics.csv");
        var ledger = DataLedger.Read(metrics);
        Assert.True(ledger.IsExact, ledger.ToString());
        Assert.Equal([0], ledger.Chunks.Keys);
        Assert.DoesNotContain(ledger.Chunks[0], c => c >= 1_000_000_000);
        int loss = Array.IndexOf(MetricsLog.Columns, "loss");
        Assert.DoesNotContain(CsvReader.ReadAll(metrics).Skip(1), r => r.Length > loss && r[loss].StartsWith("123.45", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // plaintext: no TLS handshake to time out, the Hello's timeout and Akka's own handshake drop them
    public async Task A_thousand_idle_connections_on_each_port_cost_the_ps_no_thread_each_and_are_dropped_at_the_handshake_timeout(bool insecure)
    {
        int port = TestNodes.FreePort();
        string[] security = insecure ? ["--insecure"] : [];
        await using var ps = StartPs(port, [.. security, "--handshake-timeout", $"{HandshakeTimeout.TotalSeconds}s"]);
        int tensorPort = int.Parse((await WaitForAsync(ps, insecure ? TensorChannelPlainLine() : TensorChannelLine())).Groups[1].Value, CultureInfo.InvariantCulture);
        await WaitForAsync(ps, PsUp());
        int baseline = Threads(ps.Id);

        var idle = new List<Socket>();
        try
        {
            foreach (int p in new[] { port, tensorPort })
                for (int i = 0; i < 1000; i++)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    idle.Add(socket);
                    await socket.ConnectAsync("127.0.0.1", p);
                }
            using var cts = new CancellationTokenSource(RunTimeout);
            var each = idle.Select(s => BytesUntilDroppedAsync(s, cts.Token)).ToList();
            var ends = Task.WhenAll(each);
            int peak = baseline;
            while (!ends.IsCompleted && !cts.IsCancellationRequested)
            {
                peak = Math.Max(peak, Threads(ps.Id));
                await Task.WhenAny(ends, Task.Delay(200));
            }
            Assert.True(ends.IsCompletedSuccessfully, $"{each.Count(t => !t.IsCompletedSuccessfully)} of {each.Count} idle connections were still open " +
                                                      $"after {RunTimeout.TotalSeconds} s; the ps went from {baseline} to {peak} threads");

            // Every one was dropped by the ps (at --handshake-timeout on both ports), none was sent anything but
            // at most a TLS alert.
            Assert.All(await ends, n => Assert.True(n < 64, $"{n} bytes came back to an idle connection"));
            // A thread per connection would be 2,000 more at once: all of them wait for the handshake timeout
            // together. A tenth of that cannot be one per connection; what the thread pool injects under the
            // burst and Akka's lazily started dispatchers stay far below it.
            Assert.True(peak - baseline < 2 * 1000 / 10, $"the ps went from {baseline} to {peak} threads");
        }
        finally
        {
            foreach (var s in idle) s.Dispose();
        }
        // The flood is not in the log line by line (the first refusals, then every 10×th)...
        Assert.True(ps.Stderr.Split('\n').Count(l => l.Contains("TLS", StringComparison.Ordinal)) < 40, ps.Describe());
        // ...and the ps still takes its member and finishes the run.
        await using var worker = TestNodes.Start("worker-1", Node("worker", port, ["--workers-per-node", "1", "--join-timeout", "60s", .. security]));
        Assert.True(await ps.ExitCodeAsync(RunTimeout) == 0, ps.Describe());
        Assert.True(await worker.ExitCodeAsync(RunTimeout) == 0, worker.Describe());
    }

    private static int Threads(int pid) =>
        int.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Threads:", StringComparison.Ordinal))["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);

    /// <summary>Bytes received on <paramref name="socket"/> until the peer closes or resets it.</summary>
    private static async Task<long> BytesUntilDroppedAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[256];
        long total = 0;
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0) total += n;
        }
        catch (SocketException) { } // reset: dropped too
        return total;
    }
}
