using System.Net;
using System.Net.Sockets;
using ActorTrainer.Actors.Security;
using Akka.Actor;

namespace ActorTrainer.Actors.TensorChannel;

/// <summary>
/// The ps node's end of the tensor channel: a listening socket, bound when the node starts (so a
/// port in use is a clear error before anything runs), and an accept thread once the parameter
/// server is up. Each accepted connection must complete TLS (with <see cref="ChannelSecurity"/>) and say
/// Hello (its node's cluster address) within the greeting timeout; until then it holds no thread (async
/// reads only), and at most <see cref="MaxGreeting"/> connections may be greeting at once (more are
/// closed at once), so idle or half-sent connections cost neither threads nor unbounded memory. The
/// server then gets <see cref="TensorChannelOpened"/>, every message after it as
/// <see cref="TensorChannelReceived"/> (in its mailbox, in the connection's order), and
/// <see cref="TensorChannelEnded"/> when it ends. Weights sent to a node are coalesced (only the newest
/// waits in its queue), so a slow node never piles up tensors on the ps.
/// </summary>
public sealed class TensorChannelListener : IDisposable
{
    /// <summary>Connections that may be in their TLS handshake or before their Hello at once: far more than
    /// a run has worker nodes, few enough that a flood of idle connections stays a few MB.</summary>
    public const int MaxGreeting = 1024;

    private readonly Socket _socket;
    private readonly ChannelSecurity? _security;
    private int _started;
    private int _greeting; // connections accepted and not yet greeted (or dropped)
    private volatile bool _disposed;

    private TensorChannelListener(Socket socket, int port, ChannelSecurity? security, TimeSpan greetingTimeout)
    {
        _socket = socket; Port = port; _security = security; GreetingTimeout = greetingTimeout;
    }

    /// <summary>The port the listener is bound to (the one chosen when bound to port 0).</summary>
    public int Port { get; }

    /// <summary>Time a connection has from its accept to its Hello (TLS handshake included); then it is dropped.</summary>
    public TimeSpan GreetingTimeout { get; }

    /// <summary>Connections accepted and not yet greeted, now.</summary>
    public int Greeting => Volatile.Read(ref _greeting);

    /// <summary>Binds <paramref name="bindHost"/>:<paramref name="port"/> ("0.0.0.0" = every interface, 0 = any free port).</summary>
    /// <param name="security">With it, every connection must complete mutual TLS with a certificate of the run's CA
    /// before anything else (its <see cref="TensorConnection.PeerName"/> is that certificate's node); null = plaintext.</param>
    /// <param name="greetingTimeout">Default: the TLS handshake timeout (<see cref="ChannelSecurity.HandshakeTimeout"/>).</param>
    /// <exception cref="InvalidOperationException">The port is in use or the host is not an address of this machine; the message says which.</exception>
    public static TensorChannelListener Bind(string bindHost, int port, ChannelSecurity? security = null, TimeSpan? greetingTimeout = null)
    {
        IPAddress address;
        try
        {
            address = IPAddress.TryParse(bindHost, out var ip) ? ip
                : Dns.GetHostAddresses(bindHost).OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidOperationException($"tensor channel: cannot resolve bind host '{bindHost}': {e.Message}", e);
        }
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(512);
            return new TensorChannelListener(socket, ((IPEndPoint)socket.LocalEndPoint!).Port, security,
                greetingTimeout ?? security?.HandshakeTimeout ?? ChannelSecurity.DefaultHandshakeTimeout);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new InvalidOperationException(
                $"tensor channel: cannot listen on {bindHost}:{port} ({e.SocketErrorCode}: {e.Message}); " +
                "set another actortrainer.node.tensor-port (--tensor-port, ACTORTRAINER_TENSOR_PORT; 0 = any free port)", e);
        }
    }

    /// <summary>Accepts connections from now on, reporting to <paramref name="server"/>; once only.</summary>
    /// <param name="maxFloats">The largest tensor a frame may carry (the model's parameter count, or a slot's B×H if larger).</param>
    /// <param name="coalesceWeights">Only the newest queued weights frame is kept per connection (off
    /// only for a benchmark that counts every reply).</param>
    public void Start(IActorRef server, int maxFloats, bool coalesceWeights = true)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("the tensor channel listener is already started");
        new Thread(() => AcceptLoop(server, maxFloats, coalesceWeights)) { IsBackground = true, Name = "tensor-channel-accept" }.Start();
    }

    /// <summary>Stops accepting (open connections are their owner's to close).</summary>
    public void Dispose()
    {
        _disposed = true;
        _socket.Dispose();
    }

    private void AcceptLoop(IActorRef server, int maxFloats, bool coalesceWeights)
    {
        while (!_disposed)
        {
            Socket accepted;
            try { accepted = _socket.Accept(); }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) when (!_disposed) { continue; } // e.g. out of file descriptors under a flood: the listener stays
            catch (SocketException) { return; }
            if (Interlocked.Increment(ref _greeting) > MaxGreeting)
            {
                Interlocked.Decrement(ref _greeting);
                accepted.Close(0); // over the cap: reset at once
                continue;
            }
            _ = GreetAsync(accepted, server, maxFloats, coalesceWeights);
        }
    }

    /// <summary>TLS (if on) and the Hello, without a thread of their own and within <see cref="GreetingTimeout"/>;
    /// only then does the connection get its reader and writer threads and the server hear of it. A peer that
    /// fails or stalls either is dropped without a word.</summary>
    private async Task GreetAsync(Socket accepted, IActorRef server, int maxFloats, bool coalesceWeights)
    {
        SecureChannel? secure = null;
        HelloFrame hello;
        bool counted = true; // in _greeting until this connection is greeted or dropped
        void Uncount() { if (counted) { counted = false; Interlocked.Decrement(ref _greeting); } }
        try
        {
            using var deadline = new CancellationTokenSource(GreetingTimeout);
            if (_security is not null) secure = await _security.AcceptAsync(accepted).ConfigureAwait(false);
            var stream = secure?.Stream ?? new NetworkStream(accepted, ownsSocket: false);
            hello = (HelloFrame)await new ChannelFrameReader(stream, 0).ReadGreetingAsync(ChannelFrameCodec.HelloKind, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or OperationCanceledException
                                      or IOException or SocketException or ObjectDisposedException)
        {
            Uncount(); // before the close: a peer that sees its connection dropped sees the count fall already
            if (secure is not null) await secure.Stream.DisposeAsync().ConfigureAwait(false);
            accepted.Close(0);
            return;
        }
        finally { Uncount(); }
        Open(accepted, secure, hello, server, maxFloats, coalesceWeights);
    }

    private static void Open(Socket accepted, SecureChannel? secure, HelloFrame hello, IActorRef server, int maxFloats, bool coalesceWeights)
    {
        var connection = new TensorConnection(accepted, maxFloats,
            onFrame: (c, frame) =>
            {
                if (frame is not MessageFrame m) throw new ChannelProtocolException($"unexpected {frame.GetType().Name} from a worker node after its Hello");
                server.Tell(new TensorChannelReceived(c, m.Message));
            },
            onClosed: (c, closed) => server.Tell(new TensorChannelEnded(c, closed)),
            capacity: 1024, // small frames (acks) may queue behind a weights frame; weights are coalesced
            coalesceWeights: coalesceWeights,
            secure: secure);
        server.Tell(new TensorChannelOpened(hello.Node, connection, hello.Epoch)); // before any message it reads
        connection.Start();
    }
}
