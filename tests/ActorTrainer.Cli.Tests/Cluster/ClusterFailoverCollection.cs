namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>The cluster tests that kill a worker node or the ps without a standby (see <see cref="ClusterProcessesCollection"/>).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterFailoverCollection
{
    public const string Name = "cluster failover processes";
}
