namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// Tests that start real node processes, in two collections: xunit runs as many collections at once as
/// the machine has cores (two here and in CI), so at most two clusters share the cores, each still
/// running its tests one after another. The failover tests are the longest (they wait for a death to be
/// detected), so they get a collection of their own; everything else with node processes is here.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ClusterProcessesCollection
{
    public const string Name = "cluster processes";
}
