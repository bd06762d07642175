namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>The cluster tests with a standby ps node (see <see cref="ClusterProcessesCollection"/>).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterStandbyCollection
{
    public const string Name = "cluster standby processes";
}
