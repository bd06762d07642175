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
    public async Task A_message_before_hello_breaks_the_connection()
    {
        using var listener = TensorChannelListener.Bind("127.0.0.1", 0);
        var server = CreateTestProbe();
        listener.Start(server.Ref, maxFloats: 100);
        using var node = await ConnectAsync(listener.Port);
        node.Start();
        node.Send(new MessageFrame(new SlotPush(7, new PushGradient(1, 0, 0, new float[1], 1f, 1, false, 10))));
        var ended = server.ExpectMsg<TensorChannelEnded>(Patience);
        Assert.False(ended.Closed.Orderly);
        Assert.Contains("before its Hello", ended.Closed.Reason);
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
