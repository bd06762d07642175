using ActorTrainer.Actors.Cluster;
using ActorTrainer.Cli.CommandLine;
using Akka.Actor;
using Akka.Configuration;

namespace ActorTrainer.Cli.Cluster;

/// <summary>Starting a node's actor system, for both roles.</summary>
internal static class NodeSystem
{
    /// <summary>The node's actor system, its transport bound; a port that cannot be bound is bad input
    /// (one <c>error:</c> line, exit 2).</summary>
    public static ActorSystem Start(Config config)
    {
        try { return ClusterNode.StartSystem(config); }
        catch (InvalidOperationException e) { throw new UsageException(e.Message); }
    }
}
