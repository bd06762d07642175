using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;

namespace ActorTrainer.Actors.Security;

/// <summary>A tensor connection's stream once TLS is up, and the node its peer proved to be (its certificate's CN).</summary>
public sealed record SecureChannel(Stream Stream, string PeerName);

/// <summary>
/// Mutual TLS for the tensor channel: the ps accepts only a peer whose certificate the run's CA issued,
/// and a worker node connects only to such a server. It rides in the node's <see cref="ActorSystemSetup"/>
/// (beside Akka.Remote's own TLS setup), so every actor of a node finds it with <see cref="Of"/>; a
/// plaintext node (<c>--insecure</c>) has none.
/// </summary>
public sealed class ChannelSecurity : Akka.Actor.Setup.Setup
{
    /// <summary>Time a peer has to complete the TLS handshake before its connection is dropped.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    public ChannelSecurity(NodeCredentials credentials, TimeSpan? handshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        Credentials = credentials;
        HandshakeTimeout = handshakeTimeout ?? DefaultHandshakeTimeout;
    }

    public NodeCredentials Credentials { get; }
    public TimeSpan HandshakeTimeout { get; }

    /// <summary>The tensor channel's TLS of <paramref name="system"/>'s node; null when the node runs in plaintext.</summary>
    public static ChannelSecurity? Of(ActorSystem system) =>
        system.Settings.Setup.Get<ChannelSecurity>() is { HasValue: true } found ? found.Value : null;

    /// <summary>Server side: TLS over an accepted socket, a client certificate from the run's CA required.</summary>
    /// <exception cref="AuthenticationException">The peer spoke no TLS, presented no or a foreign certificate, or
    /// did not finish the handshake within <see cref="HandshakeTimeout"/>; the message says which.</exception>
    public async Task<SecureChannel> AcceptAsync(Socket socket)
    {
        var wire = new GatheringStream(new NetworkStream(socket, ownsSocket: false));
        var tls = new SslStream(wire, leaveInnerStreamOpen: false);
        var options = Credentials.ServerOptions();
        var check = new PeerCheck(Credentials);
        options.RemoteCertificateValidationCallback = check.Accept;
        return await HandshakeAsync(tls, wire, socket, check, t => tls.AuthenticateAsServerAsync(options, t)).ConfigureAwait(false);
    }

    /// <summary>Client side: TLS over a connected socket, presenting this node's certificate and verifying the server's.</summary>
    /// <exception cref="AuthenticationException">As for <see cref="AcceptAsync"/>, seen from the client.</exception>
    public async Task<SecureChannel> ConnectAsync(Socket socket, string host)
    {
        var wire = new GatheringStream(new NetworkStream(socket, ownsSocket: false));
        var tls = new SslStream(wire, leaveInnerStreamOpen: false);
        var options = Credentials.ClientOptions(host);
        var check = new PeerCheck(Credentials);
        options.RemoteCertificateValidationCallback = check.Accept;
        return await HandshakeAsync(tls, wire, socket, check, t => tls.AuthenticateAsClientAsync(options, t)).ConfigureAwait(false);
    }

    private async Task<SecureChannel> HandshakeAsync(SslStream tls, GatheringStream wire, Socket socket, PeerCheck check, Func<CancellationToken, Task> authenticate)
    {
        using var timeout = new CancellationTokenSource(HandshakeTimeout);
        string peer = socket.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            await authenticate(timeout.Token).ConfigureAwait(false);
            var certificate = tls.RemoteCertificate as X509Certificate2;
            // The validation callback already refused any other certificate; this only names the peer.
            if (certificate is null) throw new AuthenticationException($"{peer} presented no certificate");
            wire.Gather = true; // from now on a frame's records leave together, at the writer's flush
            return new SecureChannel(tls, NodeCredentials.NameOf(certificate));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or AuthenticationException or SocketException or ObjectDisposedException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw e is OperationCanceledException
                ? new AuthenticationException($"TLS handshake with {peer} did not finish within {HandshakeTimeout.TotalSeconds:0.#} s", e)
                : new AuthenticationException($"TLS handshake with {peer} failed: {check.Refusal ?? e.Message}", e);
        }
    }

    /// <summary>The certificate check of one handshake (<see cref="NodeCredentials.Verify"/>), keeping why it refused.</summary>
    private sealed class PeerCheck(NodeCredentials credentials)
    {
        public string? Refusal { get; private set; }

        public bool Accept(object sender, X509Certificate? certificate,
            X509Chain? chain, SslPolicyErrors errors)
        {
            // Our CA is not in the machine's store, so SslStream's own chain error says nothing: Verify decides.
            var peer = certificate is null ? null : certificate as X509Certificate2
                ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            Refusal = credentials.Verify(peer);
            return Refusal is null;
        }
    }
}
