using System.Globalization;
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
    /// <summary>Seed nodes as "host:port" or full "akka.tcp://actortrainer@host:port" addresses.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];
    /// <summary>Give up when the cluster is not joined within this time.</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Worker role: workers (slots) offered; 0 = one per core.</summary>
    public int WorkersPerNode { get; init; }
    /// <summary>ps role: port of the tensor channel, the one connection per worker node that carries
    /// every message of the run after the join (workers learn the port when they join); 0 = any free port.</summary>
    public int TensorPort { get; init; }
    /// <summary>ps role: a hot standby for the run in --resume DIR, which takes over when the active ps node
    /// dies (it holds the run directory's lease until then).</summary>
    public bool Standby { get; init; }

    public int EffectiveWorkersPerNode => WorkersPerNode > 0 ? WorkersPerNode : Environment.ProcessorCount;

    /// <summary>The address advertised to other nodes.</summary>
    public string EffectiveHostname => Hostname.Length > 0 ? Hostname : System.Net.Dns.GetHostName();

    public string? Validate()
    {
        if (Port is < 0 or > 65535) return $"--port must be in [0, 65535] (got {Port})";
        if (JoinTimeout <= TimeSpan.Zero) return $"--join-timeout must be positive (got {JoinTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s)";
        if (WorkersPerNode < 0) return $"--workers-per-node must be ≥ 0 (got {WorkersPerNode})";
        if (TensorPort is < 0 or > 65535) return $"--tensor-port must be in [0, 65535] (got {TensorPort}); the tensor channel cannot be turned off, every message of the run travels on it";
        if (Standby && Role != NodeRole.Ps) return "--standby is for a ps node (--role ps --standby --resume DIR): a standby parameter server for the run in DIR";
        if (Role == NodeRole.Worker && Seeds.Count == 0)
            return "a worker node needs seed nodes to join: --seeds host:port (the ps node), ACTORTRAINER_SEEDS or actortrainer.node.seeds";
        foreach (var seed in Seeds)
            if (TryParseSeed(seed, out _) is { } problem) return problem;
        return null;
    }

    /// <summary>The seeds as addresses of the <see cref="SystemName"/> system.</summary>
    public IReadOnlyList<Address> SeedAddresses() => Seeds.Select(s =>
        TryParseSeed(s, out var a) is { } problem ? throw new ArgumentException(problem) : a!).ToArray();

    private static string? TryParseSeed(string seed, out Address? address)
    {
        address = null;
        string s = seed.Trim();
        if (!s.Contains("://", StringComparison.Ordinal)) s = $"akka.tcp://{SystemName}@{s}";
        try { address = Address.Parse(s); }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            return $"seed '{seed}' is not host:port or akka.tcp://{SystemName}@host:port ({e.Message})";
        }
        if (address.System != SystemName)
            return $"seed '{seed}' names actor system '{address.System}', but every node's system is '{SystemName}'";
        if (address.Host is null || address.Port is null or <= 0)
            return $"seed '{seed}' needs a host and a port, e.g. 127.0.0.1:4053";
        return null;
    }
}
