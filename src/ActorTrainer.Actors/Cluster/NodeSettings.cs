using System.Globalization;
using ActorTrainer.Actors.Security;
using Akka.Actor;

namespace ActorTrainer.Actors.Cluster;

/// <summary>A cluster member's job: the parameter server, or a host of workers.</summary>
public enum NodeRole { Ps, Worker }

/// <summary>
/// Immutable settings of one cluster node (from hocon/cluster.conf, the role's file, --config files,
/// ACTORTRAINER_* environment variables and flags, in that order). <see cref="Validate"/> returns
/// the first problem as a user-facing sentence, or null.
/// </summary>
public sealed record NodeSettings
{
    /// <summary>Name of every node's actor system; part of every address.</summary>
    public const string SystemName = "actortrainer";

    public NodeRole Role { get; init; } = NodeRole.Worker;
    /// <summary>Address other nodes reach this one at; empty = this machine's host name.</summary>
    public string Hostname { get; init; } = "";
    /// <summary>Interface the transport listens on; empty = <see cref="Hostname"/>.</summary>
    public string BindHostname { get; init; } = "";
    /// <summary>Transport port; 0 = any free port.</summary>
    public int Port { get; init; }
    /// <summary>Seed nodes as "host:port" or full "akka.ssl.tcp://actortrainer@host:port" addresses (akka.tcp:// with <see cref="Insecure"/>).</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];
    /// <summary>Give up when the cluster is not joined within this time.</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Time a connection to this node has to finish its TLS handshake and introduce itself, on
    /// both ports (Akka.Remote's and the tensor channel's); then it is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = ChannelSecurity.DefaultHandshakeTimeout;
    /// <summary>Worker role: workers (slots) offered; 0 = one per core.</summary>
    public int WorkersPerNode { get; init; }
    /// <summary>ps role: port of the tensor channel, the one connection per worker node that carries
    /// every message of the run after the join (workers learn the port when they join); 0 = any free port.</summary>
    public int TensorPort { get; init; }
    /// <summary>ps role: a hot standby for the run in --resume DIR, which takes over when the active ps node
    /// dies (it holds the run directory's lease until then).</summary>
    public bool Standby { get; init; }
    /// <summary>Directory of the run's certificates (<c>actortrainer certs</c>): ca.crt and NAME.pfx; empty = none.</summary>
    public string Certs { get; init; } = "";
    /// <summary>This node's name: it presents <c>Certs/NAME.pfx</c>; empty = this machine's host name.</summary>
    public string NodeName { get; init; } = "";
    /// <summary>Plaintext on both ports, no certificates: anyone who reaches them can join, read W and push.</summary>
    public bool Insecure { get; init; }

    public int EffectiveWorkersPerNode => WorkersPerNode > 0 ? WorkersPerNode : Environment.ProcessorCount;

    /// <summary>The address advertised to other nodes.</summary>
    public string EffectiveHostname => Hostname.Length > 0 ? Hostname : System.Net.Dns.GetHostName();

    /// <summary>The certificate this node presents: <see cref="NodeName"/>, or this machine's host name.</summary>
    public string EffectiveNodeName => NodeName.Length > 0 ? NodeName : System.Net.Dns.GetHostName();

    /// <summary>Akka.Remote's scheme: DotNetty names its transport "ssl.tcp" when TLS is on.</summary>
    public string Protocol => Insecure ? "akka.tcp" : "akka.ssl.tcp";

    /// <summary>The one <c>warning:</c> line a plaintext node prints at start.</summary>
    public const string InsecureWarning =
        "warning: --insecure: this node runs WITHOUT TLS: anyone who can reach its ports can join the cluster, read the weights W and push gradients";

    public string? Validate()
    {
        if (Port is < 0 or > 65535) return $"--port must be in [0, 65535] (got {Port})";
        if (JoinTimeout <= TimeSpan.Zero) return $"--join-timeout must be positive (got {JoinTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s)";
        if (HandshakeTimeout <= TimeSpan.Zero) return $"--handshake-timeout must be positive (got {HandshakeTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s)";
        if (WorkersPerNode < 0) return $"--workers-per-node must be ≥ 0 (got {WorkersPerNode})";
        if (TensorPort is < 0 or > 65535) return $"--tensor-port must be in [0, 65535] (got {TensorPort}); the tensor channel cannot be turned off, every message of the run travels on it";
        if (Standby && Role != NodeRole.Ps) return "--standby is for a ps node (--role ps --standby --resume DIR): a standby parameter server for the run in DIR";
        if (Insecure && Certs.Length > 0)
            return "--insecure and --certs contradict each other: drop --insecure to run with the certificates in " + Certs;
        if (!Insecure && Certs.Length == 0)
            return "a cluster node needs the run's certificates: make them once with `actortrainer certs --out DIR --nodes ps,worker-1,…`, " +
                   "copy DIR/ca.crt and each node's NAME.pfx to that node, and start it with --certs DIR --node-name NAME " +
                   "(ACTORTRAINER_CERTS, actortrainer.node.certs); or, on a network you trust completely, --insecure for plaintext";
        if (!Insecure && NodeName.Length > 0 && RunCertificates.NodeNameProblem(NodeName) is { } name) return $"--node-name: {name}";
        if (Role == NodeRole.Worker && Seeds.Count == 0)
            return "a worker node needs seed nodes to join: --seeds host:port (the ps node), ACTORTRAINER_SEEDS or actortrainer.node.seeds";
        foreach (var seed in Seeds)
            if (TryParseSeed(seed, Protocol, out _) is { } problem) return problem;
        return null;
    }

    /// <summary>The seeds as addresses of the <see cref="SystemName"/> system.</summary>
    public IReadOnlyList<Address> SeedAddresses() => Seeds.Select(s =>
        TryParseSeed(s, Protocol, out var a) is { } problem ? throw new ArgumentException(problem) : a!).ToArray();

    private static string? TryParseSeed(string seed, string protocol, out Address? address)
    {
        address = null;
        string s = seed.Trim();
        if (!s.Contains("://", StringComparison.Ordinal)) s = $"{protocol}://{SystemName}@{s}";
        try { address = Address.Parse(s); }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            return $"seed '{seed}' is not host:port or {protocol}://{SystemName}@host:port ({e.Message})";
        }
        if (address.Protocol != protocol)
            return $"seed '{seed}' is a {address.Protocol}:// address, but this node speaks {protocol}:// " +
                   (protocol == "akka.tcp" ? "(plaintext, --insecure)" : "(TLS)") + "; give the seed as host:port";
        if (address.System != SystemName)
            return $"seed '{seed}' names actor system '{address.System}', but every node's system is '{SystemName}'";
        if (address.Host is null || address.Port is null or <= 0)
            return $"seed '{seed}' needs a host and a port, e.g. 127.0.0.1:4053";
        return null;
    }
}
