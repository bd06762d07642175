using System.Globalization;
using Akka.Actor;
using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Security;
using ActorTrainer.Actors.TensorChannel;

namespace ActorTrainer.Cli.Commands;

/// <summary>
/// `bench transport`'s tensor channel measurement: the cluster's path for gradients and weights,
/// between this process and a peer it starts. As in a cluster run, frames go from an actor to the
/// connection's writer thread, and from the reader thread to an actor with Tell: the peer's echo
/// actor (on the parameter server's dispatcher) answers every push with a weights frame.
/// </summary>
internal static class BenchTransportChannel
{
    /// <param name="certs">With it, both ends speak mutual TLS as cluster nodes do (the peer as "ps", this side as "bench"); null = plaintext.</param>
    public static async Task<BenchTransportActors.Result> RunAsync(int parameters, PushGradient push, int window, TimeSpan duration, string? certs = null)
    {
        int port = BenchTransportRawTcp.FreeLoopbackPort();
        using var peer = BenchTransport.StartPeer("--serve-channel", port, parameters,
            ["--part-floats", "0", .. certs is null ? Array.Empty<string>() : ["--channel-certs", certs]]);
        try
        {
            string? line = await peer.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            if (line != "ready") throw new InvalidOperationException($"the peer process did not start (said '{line}')");
            using var system = TrainerHocon.LocalSystem("bench");
            var done = new TaskCompletionSource<BenchTransportActors.Result>(TaskCreationOptions.RunContinuationsAsynchronously);
            IActorRef? client = null;
            var connection = await TensorConnection.ConnectAsync("127.0.0.1", port, TimeSpan.FromSeconds(30), parameters,
                onFrame: (_, f) => client!.Tell(f is MessageFrame { Message: WeightsPublished w } ? w : f),
                onClosed: (_, c) => done.TrySetException(new InvalidOperationException($"the tensor connection ended: {c.Reason}")),
                security: certs is null ? null : new ChannelSecurity(NodeCredentials.Load(certs, "bench")));
            client = system.ActorOf(Props.Create(() => new Client(connection, push, window, duration, done))
                .WithDispatcher(TrainerHocon.ServerDispatcherId));
            connection.Start();
            connection.Send(new HelloFrame("bench"));
            var result = await done.Task.WaitAsync(duration + TimeSpan.FromSeconds(120));
            connection.Close("benchmark over");
            await peer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            return result;
        }
        finally
        {
            if (!peer.HasExited) peer.Kill();
        }
    }

    /// <summary>The peer process: a listener and an echo actor that answers every push with weights.</summary>
    public static async Task<int> ServeAsync(int port, int parameters, string? certs)
    {
        using var listener = TensorChannelListener.Bind("127.0.0.1", port, certs is null ? null : new ChannelSecurity(NodeCredentials.Load(certs, "ps")));
        using var system = TrainerHocon.LocalSystem("bench");
        var echo = system.ActorOf(Props.Create(() => new Echo(parameters)).WithDispatcher(TrainerHocon.ServerDispatcherId));
        listener.Start(echo, parameters, coalesceWeights: false); // every reply counts
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        await system.WhenTerminated;
        return 0;
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo(int parameters)
        {
            var w = new float[parameters]; // (P) the same array each time: only the transport is measured
            Receive<TensorChannelOpened>(m => m.Connection.Send(new WelcomeFrame()));
            Receive<TensorChannelReceived>(m => { if (m.Message is SlotPush p) m.Connection.Send(new MessageFrame(new WeightsPublished(p.Push.ChunkId, p.Push.ChunkId, w))); });
            Receive<TensorChannelEnded>(_ => Context.System.Terminate());
        }
    }

    /// <summary>Measuring side over the channel: <see cref="BenchTransportActors.Window"/>'s pattern of pushes.</summary>
    private sealed class Client : ReceiveActor
    {
        private readonly TensorConnection _connection;
        private readonly PushGradient _push;
        private readonly BenchTransportActors.Window _window;

        public Client(TensorConnection connection, PushGradient push, int window, TimeSpan duration, TaskCompletionSource<BenchTransportActors.Result> done)
        {
            _connection = connection; _push = push; _window = new BenchTransportActors.Window(window, duration);
            Receive<WelcomeFrame>(_ => Send(_window.Start()));
            Receive<WeightsPublished>(_ =>
            {
                Send(_window.Replied());
                if (_window.Result is { } result) { done.TrySetResult(result); Context.Stop(Self); }
            });
        }

        private void Send(int pushes)
        {
            for (int i = 0; i < pushes; i++)
            {
                // The gradient array is read-only: shared by every push.
                _connection.Send(new MessageFrame(new SlotPush(0, _push with { ChunkId = _window.Sent })));
                _window.Pushed();
            }
        }
    }
}
