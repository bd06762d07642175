using System.Net.Sockets;
using System.Security.Authentication;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Security;
using ActorTrainer.Actors.TensorChannel;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Security;

/// <summary>The tensor channel with mutual TLS: only a node of the run gets through the handshake, and the ps knows which node it is.</summary>
public sealed class ChannelSecurityTests : TestKit, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset IssuedAt = DateTimeOffset.UtcNow;
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private readonly string _run = Path.Combine(Path.GetTempPath(), $"at-chan-run-{Guid.NewGuid():N}");
    private readonly string _other = Path.Combine(Path.GetTempPath(), $"at-chan-other-{Guid.NewGuid():N}");

    public ChannelSecurityTests() : base(TestHocon.Config)
    {
        RunCertificates.Create(_run, ["ps", "worker-1"], [], IssuedAt, Day);
        RunCertificates.Create(_other, ["ps", "worker-1"], [], IssuedAt, Day); // same names, another CA
    }

    void IDisposable.Dispose()
    {
        foreach (var dir in new[] { _run, _other })
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        base.Dispose();
    }

    private ChannelSecurity Security(string dir, string node, TimeSpan? handshake = null) => new(NodeCredentials.Load(dir, node), handshake);

    private static Task<TensorConnection> ConnectAsync(int port, ChannelSecurity security, Action<ChannelFrame>? onFrame = null) =>
        TensorConnection.ConnectAsync("127.0.0.1", port, Patience, 100, (_, f) => onFrame?.Invoke(f), (_, _) => { }, security);

    [Fact]
    public async Task A_node_of_the_run_connects_over_tls_and_the_ps_records_its_certificate_name()
    {
        using var listener = TensorChannelListener.Bind("127.0.0.1", 0, Security(_run, "ps"));
        var server = CreateTestProbe();
        listener.Start(server.Ref, maxFloats: 100);
        var frames = new System.Collections.Concurrent.BlockingCollection<ChannelFrame>();
        using var node = await ConnectAsync(listener.Port, Security(_run, "worker-1"), frames.Add);
        node.Start();
        node.Send(new HelloFrame("akka.ssl.tcp://actortrainer@127.0.0.1:5000"));

        var opened = server.ExpectMsg<TensorChannelOpened>(Patience);
        Assert.Equal("worker-1", opened.Connection.PeerName);
        Assert.Equal("ps", node.PeerName);
        opened.Connection.Send(new MessageFrame(new WeightsPublished(5, 5, new float[100])));
        Assert.True(frames.TryTake(out var weights, Patience));
        Assert.Equal(5, Assert.IsType<WeightsPublished>(Assert.IsType<MessageFrame>(weights).Message).Version);
        opened.Connection.Dispose();
    }

    [Fact]
    public async Task A_node_with_a_certificate_of_another_ca_is_refused_at_the_handshake()
    {
        using var listener = TensorChannelListener.Bind("127.0.0.1", 0, Security(_run, "ps"));
        var server = CreateTestProbe();
        listener.Start(server.Ref, maxFloats: 100);

        var ended = new TaskCompletionSource<ChannelClosed>(TaskCreationOptions.RunContinuationsAsynchronously);
        TensorConnection? stranger = null;
        try
        {
            stranger = await TensorConnection.ConnectAsync("127.0.0.1", listener.Port, Patience, 100, (_, _) => { },
                (_, closed) => ended.TrySetResult(closed), Security(_other, "worker-1"));
        }
        catch (AuthenticationException) { } // refused while the client still handshakes
        // TLS 1.3: the client may finish before the server has checked its certificate; the refusal then
        // arrives as the end of the connection, before any frame is taken.
        if (stranger is not null)
        {
            using var _ = stranger;
            stranger.Start();
            stranger.Send(new HelloFrame("akka.ssl.tcp://actortrainer@127.0.0.1:5000"));
            Assert.False((await ended.Task.WaitAsync(Patience)).Orderly);
        }
        server.ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // no Opened, no Ended: the server never saw a connection
    }

    [Fact]
    public async Task A_node_refuses_a_server_of_another_run()
    {
        using var listener = TensorChannelListener.Bind("127.0.0.1", 0, Security(_other, "ps"));
        listener.Start(CreateTestProbe().Ref, maxFloats: 100);

        var e = await Assert.ThrowsAsync<AuthenticationException>(() => ConnectAsync(listener.Port, Security(_run, "worker-1")));
        Assert.Contains("127.0.0.1", e.Message);
        Assert.Contains("not issued by this run's CA", e.Message);
    }

    [Fact]
    public async Task A_plaintext_client_gets_nothing_but_a_closed_connection()
    {
        using var listener = TensorChannelListener.Bind("127.0.0.1", 0, Security(_run, "ps"));
        var server = CreateTestProbe();
        listener.Start(server.Ref, maxFloats: 100);
        using var raw = new TcpClient();
        await raw.ConnectAsync("127.0.0.1", listener.Port);
        var stream = raw.GetStream();
        ChannelFrameCodec.Write(stream, new HelloFrame("akka.tcp://actortrainer@127.0.0.1:5000"), new byte[ChannelFrameCodec.MaxHeaderLength]);

        long received = await ReadToEndAsync(stream);

        // A TLS alert at most (a few bytes): never a Welcome or a weights frame (5+ bytes of header and 400 of floats).
        Assert.True(received < 64, $"{received} bytes came back to a client that spoke no TLS");
        server.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task A_client_that_never_starts_the_handshake_is_dropped_after_the_timeout()
    {
        // 300 ms: a loopback handshake needs a few ms, so a connection still silent by then is cut by the timeout alone.
        using var listener = TensorChannelListener.Bind("127.0.0.1", 0, Security(_run, "ps", TimeSpan.FromMilliseconds(300)));
        var server = CreateTestProbe();
        listener.Start(server.Ref, maxFloats: 100);
        using var idle = new TcpClient();
        await idle.ConnectAsync("127.0.0.1", listener.Port);

        long received = await ReadToEndAsync(idle.GetStream()); // ends only when the server drops it

        Assert.Equal(0, received);
        server.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Bytes read until the peer closes or resets the connection (bounded by <see cref="Patience"/>).</summary>
    private static async Task<long> ReadToEndAsync(NetworkStream stream)
    {
        using var cts = new CancellationTokenSource(Patience);
        var buffer = new byte[4096];
        long total = 0;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0) total += n;
        }
        catch (IOException) { } // a reset is a refusal too
        return total;
    }
}
