using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.TensorChannel;

namespace ActorTrainer.Actors.Tests.TensorChannel;

/// <summary>Tensor connections over real loopback sockets: delivery, and every way one can end.</summary>
public sealed class TensorConnectionTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30); // a bound on hanging, not a timing assertion
    private readonly List<IDisposable> _owned = new();

    public void Dispose() { foreach (var d in _owned) d.Dispose(); }

    /// <summary>One end of a connection with everything it reported.</summary>
    private sealed class End
    {
        public BlockingCollection<ChannelFrame> Frames { get; } = new();
        public TaskCompletionSource<ChannelClosed> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int ClosedReports;
        public TensorConnection Connection { get; set; } = null!;
    }

    private End Open(Socket socket, int maxFloats = 1 << 20, int capacity = 64, bool coalesce = false)
    {
        var end = new End();
        end.Connection = new TensorConnection(socket, maxFloats, (_, f) => end.Frames.Add(f),
            (_, c) => { Interlocked.Increment(ref end.ClosedReports); end.Closed.TrySetResult(c); }, capacity, coalesce);
        _owned.Add(end.Connection);
        return end;
    }

    private static (Socket Client, Socket Server) SocketPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        return (client, listener.Accept());
    }

    private static MessageFrame Weights(long version, int n = 1000) => new(new WeightsPublished(version, version, new float[n]));

    [Fact]
    public void Frames_arrive_whole_and_in_order()
    {
        var (c, s) = SocketPair();
        var a = Open(c);
        var b = Open(s);
        a.Connection.Start();
        b.Connection.Start();
        for (int v = 0; v < 20; v++) Assert.True(a.Connection.Send(Weights(v, 100_000)));
        for (int v = 0; v < 20; v++)
        {
            Assert.True(b.Frames.TryTake(out var f, Patience));
            var w = Assert.IsType<WeightsPublished>(Assert.IsType<MessageFrame>(f).Message);
            Assert.Equal(v, w.Version);
            Assert.Equal(100_000, w.Weights.Length);
        }
    }

    [Fact]
    public async Task A_connection_dropped_by_the_peer_is_reported_as_broken_once()
    {
        var (c, s) = SocketPair();
        var a = Open(c);
        a.Connection.Start();
        s.Close(0); // the peer dies: RST, no Close frame
        var closed = await a.Closed.Task.WaitAsync(Patience);
        Assert.False(closed.Orderly);
        Assert.False(a.Connection.Send(Weights(1)));
        Assert.Equal(1, a.ClosedReports);
    }

    [Fact]
    public async Task A_peer_that_closes_without_a_goodbye_is_reported_as_broken()
    {
        var (c, s) = SocketPair();
        var a = Open(c);
        a.Connection.Start();
        s.Shutdown(SocketShutdown.Both);
        s.Dispose();
        var closed = await a.Closed.Task.WaitAsync(Patience);
        Assert.False(closed.Orderly);
        Assert.Contains("without a goodbye", closed.Reason);
    }

    [Fact]
    public async Task An_orderly_close_delivers_what_was_queued_then_the_reason()
    {
        var (c, s) = SocketPair();
        var a = Open(c);
        var b = Open(s);
        a.Connection.Start();
        b.Connection.Start();
        a.Connection.Send(Weights(7));
        a.Connection.Close("the run finished");
        Assert.False(a.Connection.Send(Weights(8)));
        var atB = await b.Closed.Task.WaitAsync(Patience);
        Assert.True(atB.Orderly);
        Assert.Equal("the run finished", atB.Reason);
        Assert.Equal(7, Assert.IsType<WeightsPublished>(Assert.IsType<MessageFrame>(Assert.Single(b.Frames)).Message).Version);
        Assert.True((await a.Closed.Task.WaitAsync(Patience)).Orderly);
    }

    [Fact]
    public async Task A_peer_that_stops_reading_breaks_the_connection_and_Send_never_blocks()
    {
        var (c, s) = SocketPair();
        _owned.Add(s); // never read
        var a = Open(c, capacity: 2);
        a.Connection.Start();
        bool refused = false;
        for (int i = 0; i < 200 && !refused; i++) refused = !a.Connection.Send(Weights(i, 1 << 20)); // 4 MB each
        Assert.True(refused);
        var closed = await a.Closed.Task.WaitAsync(Patience);
        Assert.False(closed.Orderly);
        Assert.Contains("send queue full", closed.Reason);
    }

    [Fact]
    public void Coalesced_weights_never_fill_the_queue_of_a_slow_peer()
    {
        var (c, s) = SocketPair();
        _owned.Add(s); // never read
        var a = Open(c, capacity: 2, coalesce: true);
        a.Connection.Start();
        for (int i = 0; i < 200; i++) Assert.True(a.Connection.Send(Weights(i, 1 << 20)));
    }

    [Fact]
    public async Task A_corrupt_frame_breaks_the_connection_with_the_reason()
    {
        var (c, s) = SocketPair();
        var a = Open(c, maxFloats: 10);
        a.Connection.Start();
        s.Send(new byte[] { 3, 0, 0, 0, 200, 0, 0 });
        var closed = await a.Closed.Task.WaitAsync(Patience);
        Assert.False(closed.Orderly);
        Assert.Contains("unknown frame kind 200", closed.Reason);
        s.Dispose();
    }

    [Fact]
    public async Task Connecting_to_a_port_nobody_listens_on_fails_with_a_socket_error()
    {
        int port;
        using (var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            l.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)l.LocalEndPoint!).Port;
        }
        await Assert.ThrowsAsync<SocketException>(() =>
            TensorConnection.ConnectAsync("127.0.0.1", port, Patience, 10, (_, _) => { }, (_, _) => { }));
    }
}
