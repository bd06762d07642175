using System.Net;
using System.Net.Sockets;
using ActorTrainer.Actors.Security;
using Akka.Actor;

namespace ActorTrainer.Actors.TensorChannel;

/// <summary>
/// The ps node's end of the tensor channel: a listening socket, bound when the node starts (so a
/// port in use is a clear error before anything runs), and an accept thread once the parameter
/// server is up. Each accepted connection must say Hello (its node's cluster address) first; the
/// server then gets <see cref="TensorChannelOpened"/>, every message after it as
/// <see cref="TensorChannelReceived"/> (in its mailbox, in the connection's order), and
/// <see cref="TensorChannelEnded"/> when it ends. Weights
/// sent to a node are coalesced (only the newest waits in its queue), so a slow node never piles
/// up tensors on the ps.
/// </summary>
public sealed class TensorChannelListener : IDisposable
{
    private readonly Socket _socket;
    private readonly ChannelSecurity? _security;
    private int _started;

    private TensorChannelListener(Socket socket, int port, ChannelSecurity? security) { _socket = socket; Port = port; _security = security; }

    /// <summary>The port the listener is bound to (the one chosen when bound to port 0).</summary>
    public int Port { get; }

    /// <summary>Binds <paramref name="bindHost"/>:<paramref name="port"/> ("0.0.0.0" = every interface, 0 = any free port).</summary>
    /// <param name="security">With it, every connection must complete mutual TLS with a certificate of the run's CA
    /// before anything else (its <see cref="TensorConnection.PeerName"/> is that certificate's node); null = plaintext.</param>
    /// <exception cref="InvalidOperationException">The port is in use or the host is not an address of this machine; the message says which.</exception>
    public static TensorChannelListener Bind(string bindHost, int port, ChannelSecurity? security = null)
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
            socket.Listen(64);
            return new TensorChannelListener(socket, ((IPEndPoint)socket.LocalEndPoint!).Port, security);
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
    public void Dispose() => _socket.Dispose();

    private void AcceptLoop(IActorRef server, int maxFloats, bool coalesceWeights)
    {
        while (true)
        {
            Socket accepted;
            try { accepted = _socket.Accept(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            if (_security is null) Open(accepted, null, server, maxFloats, coalesceWeights);
            else _ = HandshakeThenOpenAsync(accepted, _security, server, maxFloats, coalesceWeights);
        }
    }

    /// <summary>TLS first, off the accept thread: a peer that fails or stalls the handshake (within its
    /// timeout) is dropped without a frame read or a connection thread started.</summary>
    private static async Task HandshakeThenOpenAsync(Socket accepted, ChannelSecurity security, IActorRef server, int maxFloats, bool coalesceWeights)
    {
        SecureChannel secure;
        try { secure = await security.AcceptAsync(accepted).ConfigureAwait(false); }
        catch (System.Security.Authentication.AuthenticationException)
        {
            accepted.Dispose();
            return;
        }
        Open(accepted, secure, server, maxFloats, coalesceWeights);
    }

    private static void Open(Socket accepted, SecureChannel? secure, IActorRef server, int maxFloats, bool coalesceWeights)
    {
        bool greeted = false; // only the connection's reader thread touches it
        var connection = new TensorConnection(accepted, maxFloats,
            onFrame: (c, frame) =>
            {
                switch (frame)
                {
                    case HelloFrame hello when !greeted:
                        greeted = true;
                        server.Tell(new TensorChannelOpened(hello.Node, c, hello.Epoch));
                        break;
                    case MessageFrame m when greeted:
                        server.Tell(new TensorChannelReceived(c, m.Message));
                        break;
                    default:
                        throw new ChannelProtocolException($"unexpected {frame.GetType().Name} from a worker node" + (greeted ? "" : " before its Hello"));
                }
            },
            onClosed: (c, closed) => server.Tell(new TensorChannelEnded(c, closed)),
            capacity: 1024, // small frames (acks) may queue behind a weights frame; weights are coalesced
            coalesceWeights: coalesceWeights,
            secure: secure);
        connection.Start();
    }
}
