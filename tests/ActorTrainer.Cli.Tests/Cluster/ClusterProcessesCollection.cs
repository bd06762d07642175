namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// Tests that start real node processes: one collection, run alone (never beside other tests or each
/// other), so the few cores are not split between several clusters at once.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterProcessesCollection
{
    public const string Name = "cluster processes";
}
