using System.Net.Sockets;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.TensorChannel;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.TensorChannel;

/// <summary>The ps node's listener: what the parameter server hears about each worker node's connection.</summary>
public sealed class TensorChannelListenerTests : TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public TensorChannelListenerTests() : base(TestHocon.Config) { }

    private async Task<TensorConnection> ConnectAsync(int port, Action<ChannelFrame>? onFrame = null) =>
        await TensorConnection.ConnectAsync("127.0.0.1", port, Patience, 100, (_, f) => onFrame?.Invoke(f), (_, _) => { });

    [Fact]
    public async Task A_node_says_hello_its_messages_reach_the_server_mailbox_and_its_dropped_connection_is_reported()
    {
        using var listener = TensorChannelListener.Bind("127.0.0.1", 0);
        var server = CreateTestProbe();
        listener.Start(server.Ref, maxFloats: 100);
        var node = await ConnectAsync(listener.Port);
        node.Start();
        node.Send(new HelloFrame("akka.tcp://actortrainer@127.0.0.1:5000"));
        var opened = server.ExpectMsg<TensorChannelOpened>(Patience);
        Assert.Equal("akka.tcp://actortrainer@127.0.0.1:5000", opened.Node);

        node.Send(new MessageFrame(new SlotPush(7, new PushGradient(1, 0, 0, new float[100], 1f, 1, false, 10))));
        var pushed = server.ExpectMsg<TensorChannelReceived>(Patience);
        Assert.Same(opened.Connection, pushed.Connection);
        var push = Assert.IsType<SlotPush>(pushed.Message);
        Assert.Equal((7L, 1, 100), (push.Assignment, push.Push.WorkerId, push.Push.Gradient.Length));

        node.Dispose(); // the worker node dies
        var ended = server.ExpectMsg<TensorChannelEnded>(Patience);
        Assert.Same(opened.Connection, ended.Connection);
        Assert.False(ended.Closed.Orderly);
    }

    [Fact]
    public async Task A_message_before_hello_is_dropped_and_the_server_never_hears_of_it()
    {
        using var listener = TensorChannelListener.Bind("127.0.0.1", 0);
        var server = CreateTestProbe();
        listener.Start(server.Ref, maxFloats: 100);
        var closed = new TaskCompletionSource<ChannelClosed>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var node = await TensorConnection.ConnectAsync("127.0.0.1", listener.Port, Patience, 100, (_, _) => { }, (_, c) => closed.TrySetResult(c));
        node.Start();
        node.Send(new MessageFrame(new SlotPush(7, new PushGradient(1, 0, 0, new float[1], 1f, 1, false, 10))));

        Assert.False((await closed.Task.WaitAsync(Patience)).Orderly); // reset by the listener
        server.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(0, listener.Greeting);
    }

    [Fact]
    public async Task A_silent_connection_is_dropped_after_the_greeting_timeout_and_a_late_hello_goes_nowhere()
    {
        // 300 ms: a loopback Hello takes well under a millisecond, so a connection still silent then is cut by the timeout alone.
        using var listener = TensorChannelListener.Bind("127.0.0.1", 0, greetingTimeout: TimeSpan.FromMilliseconds(300));
        var server = CreateTestProbe();
        listener.Start(server.Ref, maxFloats: 100);
        using var idle = new TcpClient();
        await idle.ConnectAsync("127.0.0.1", listener.Port);

        var buffer = new byte[64];
        int read;
        try { read = await idle.GetStream().ReadAsync(buffer).AsTask().WaitAsync(Patience); } // ends only when the listener drops it
        catch (IOException) { read = 0; }

        Assert.Equal(0, read);
        Assert.Equal(0, listener.Greeting);
        server.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_port_in_use_is_a_clear_error_naming_the_setting()
    {
        using var first = TensorChannelListener.Bind("127.0.0.1", 0);
        var e = Assert.Throws<InvalidOperationException>(() => TensorChannelListener.Bind("127.0.0.1", first.Port));
        Assert.Contains($"cannot listen on 127.0.0.1:{first.Port}", e.Message);
        Assert.Contains("tensor-port", e.Message);
    }

    [Fact]
    public async Task The_server_welcome_and_weights_reach_the_node()
    {
        using var listener = TensorChannelListener.Bind("127.0.0.1", 0);
        var server = CreateTestProbe();
        listener.Start(server.Ref, maxFloats: 100);
        var frames = new System.Collections.Concurrent.BlockingCollection<ChannelFrame>();
        using var node = await ConnectAsync(listener.Port, frames.Add);
        node.Start();
        node.Send(new HelloFrame("n"));
        var opened = server.ExpectMsg<TensorChannelOpened>(Patience);
        opened.Connection.Send(new WelcomeFrame());
        opened.Connection.Send(new MessageFrame(new WeightsPublished(5, 5, new float[100])));
        Assert.True(frames.TryTake(out var first, Patience));
        Assert.IsType<WelcomeFrame>(first);
        Assert.True(frames.TryTake(out var second, Patience));
        Assert.Equal(5, Assert.IsType<WeightsPublished>(Assert.IsType<MessageFrame>(second).Message).Version);
        opened.Connection.Dispose();
    }
}
