namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>The cluster tests of transport security, which flood and probe the ports (see <see cref="ClusterProcessesCollection"/>).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterSecurityCollection
{
    public const string Name = "cluster security processes";
}
