using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.Security;
using ActorTrainer.Cli.CommandLine;
using Akka.Actor;
using Akka.Configuration;

namespace ActorTrainer.Cli.Cluster;

/// <summary>Starting a node's actor system, for both roles.</summary>
internal static class NodeSystem
{
    /// <summary>
    /// The node's TLS from its certificates (--certs, --node-name); a missing or foreign certificate is bad
    /// input (one <c>error:</c> line, exit 2). Null for a plaintext node, which says so in one <c>warning:</c> line.
    /// </summary>
    public static ChannelSecurity? Security(NodeSettings node, TextWriter stderr)
    {
        if (node.Insecure)
        {
            stderr.WriteLine(NodeSettings.InsecureWarning);
            return null;
        }
        try { return new ChannelSecurity(NodeCredentials.Load(node.Certs, node.EffectiveNodeName), node.HandshakeTimeout); }
        catch (InvalidDataException e) { throw new UsageException(e.Message + " (--certs, --node-name)"); }
    }

    /// <summary>The node's actor system, its transport bound (with TLS unless <paramref name="security"/> is null);
    /// a port that cannot be bound is bad input (one <c>error:</c> line, exit 2).</summary>
    public static ActorSystem Start(Config config, ChannelSecurity? security)
    {
        try { return ClusterNode.StartSystem(config, security); }
        catch (InvalidOperationException e) { throw new UsageException(e.Message); }
    }
}
