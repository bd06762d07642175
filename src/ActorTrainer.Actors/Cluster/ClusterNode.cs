using System.Globalization;
using System.Text;
using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.Security;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace ActorTrainer.Actors.Cluster;

/// <summary>
/// Starting one cluster member: its actor system's config (the HOCON files with the node's own
/// settings applied in code — Akka's HOCON does not substitute environment variables) and a
/// bounded wait for joining the cluster. No tensor crosses Akka.Remote (they go on the tensor
/// channel), so its frame size does not grow with the model.
/// </summary>
public static class ClusterNode
{
    /// <summary>Name of the parameter server's actor under /user on the active ps node; a worker node asks
    /// every ps node's /user/server to take it in (a standby has no such actor until it takes over).</summary>
    public const string ServerName = "server";

    /// <summary>The cluster role of parameter server nodes, active or standby.</summary>
    public const string PsRole = "ps";

    /// <summary>The node's settings over <paramref name="hocon"/> (cluster.conf, role file, --config files),
    /// with the trainer's dispatchers and serializers as the last fallback.</summary>
    public static Config ActorSystemConfig(NodeSettings node, Config hocon)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(hocon);
        string host = node.EffectiveHostname;
        string bind = node.BindHostname.Length > 0 ? node.BindHostname : host;
        string role = node.Role == NodeRole.Ps ? PsRole : "worker";
        var overrides = ConfigurationFactory.ParseString($"""
            akka.remote.dot-netty.tcp.hostname = {Quote(bind)}
            akka.remote.dot-netty.tcp.public-hostname = {Quote(host)}
            akka.remote.dot-netty.tcp.port = {node.Port.ToString(CultureInfo.InvariantCulture)}
            akka.remote.dot-netty.tcp.tcp-reuse-addr = off
            akka.remote.dot-netty.tcp.connection-timeout = {node.HandshakeTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms
            akka.cluster.roles = [{Quote(role)}]
            """);
        return overrides.WithFallback(hocon).WithFallback(TrainerHocon.Config);
    }

    /// <summary>akka.remote.dot-netty.tcp.maximum-frame-size in bytes (Akka's default 128000 when unset).</summary>
    public static long MaximumFrameSize(Config config) =>
        config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size", null) ?? 128_000;

    /// <summary>
    /// Starts the node's actor system, which binds its transport port. A port that cannot be bound (in
    /// use, or not an address of this machine) is an <see cref="InvalidOperationException"/> saying which
    /// and what to change, instead of Akka's nested exceptions.
    /// </summary>
    /// <param name="security">Mutual TLS for Akka.Remote and the tensor channel, from the run's certificates; null = plaintext (--insecure).</param>
    public static ActorSystem StartSystem(Config config, ChannelSecurity? security = null)
    {
        try { return ActorSystem.Create(NodeSettings.SystemName, SystemSetup(config, security)); }
        catch (Exception e) when (Flatten(e).OfType<Akka.Remote.RemoteTransportException>().Any())
        {
            var socket = Flatten(e).OfType<System.Net.Sockets.SocketException>().FirstOrDefault();
            string host = config.GetString("akka.remote.dot-netty.tcp.hostname", "");
            int port = config.GetInt("akka.remote.dot-netty.tcp.port", 0);
            throw new InvalidOperationException(
                $"cannot listen on {host}:{port}" + (socket is null ? "" : $" ({socket.SocketErrorCode}: {socket.Message})") +
                "; is another node running there? Choose another --port (ACTORTRAINER_PORT, actortrainer.node.port) or --bind-hostname", e);
        }
    }

    /// <summary>
    /// The node's actor system setup: with <paramref name="security"/>, Akka.Remote speaks TLS with this
    /// node's certificate, requires the peer's (mutual), and accepts only certificates of the run's CA
    /// (<see cref="NodeCredentials.Verify"/>, not the machine's trust store, which does not hold our CA);
    /// the tensor channel's <see cref="ChannelSecurity"/> rides along for the node's actors.
    /// </summary>
    public static ActorSystemSetup SystemSetup(Config config, ChannelSecurity? security)
    {
        ArgumentNullException.ThrowIfNull(config);
        var ssl = ConfigurationFactory.ParseString($"akka.remote.dot-netty.tcp.enable-ssl = {(security is null ? "off" : "on")}");
        var bootstrap = BootstrapSetup.Create().WithConfig(ssl.WithFallback(config));
        if (security is null) return ActorSystemSetup.Create(bootstrap);
        var credentials = security.Credentials;
        var remote = new DotNettySslSetup(credentials.Certificate, suppressValidation: false, requireMutualAuthentication: true,
            validateCertificateHostname: false, // identity is the run's CA, not DNS: nodes are reached by IP as often as by name
            customValidator: (certificate, _, peer, _, log) =>
            {
                if (credentials.Verify(certificate) is not { } problem) return true;
                log.Warning("refused a TLS connection with {0}: {1}", peer, problem);
                return false;
            });
        return ActorSystemSetup.Create(bootstrap, remote, security);
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
            if (x is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten)) yield return inner;
        }
    }

    /// <summary>
    /// Joins the cluster through the node's seeds (a node without seeds starts a new cluster on its
    /// own) and waits until this member is Up, at most <see cref="NodeSettings.JoinTimeout"/>.
    /// False when the time ran out or the system terminated first.
    /// </summary>
    public static async Task<bool> JoinAsync(ActorSystem system, NodeSettings node, CancellationToken cancellationToken = default)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        var seeds = node.SeedAddresses();
        if (seeds.Count == 0) cluster.Join(cluster.SelfAddress);
        else cluster.JoinSeedNodes(seeds);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var wait = Task.Delay(node.JoinTimeout, timeout.Token);
        var first = await Task.WhenAny(up.Task, wait, system.WhenTerminated).ConfigureAwait(false);
        timeout.Cancel();
        return first == up.Task;
    }

    /// <summary>Why joining failed, for the user: the seeds tried and what to check.</summary>
    public static string JoinFailure(NodeSettings node) =>
        $"could not join the cluster within {node.JoinTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s: " +
        (node.Seeds.Count == 0 ? "this node could not start a cluster of its own"
            : $"no answer from seed node(s) {string.Join(", ", node.SeedAddresses())}. Is the ps node running and reachable there" +
              (node.Insecure ? ", and in plaintext (--insecure) too? " : ", with certificates from the same `actortrainer certs` directory (a refused TLS handshake is logged above)? ") +
              "(seeds come from --seeds, ACTORTRAINER_SEEDS or actortrainer.node.seeds; the wait is --join-timeout)");

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            if (c is '"' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}
