namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// Tests that start real node processes, in four collections that may run side by side (at most three
/// collections run at once, Parallelism.cs), each running its tests one after another: this one (runs,
/// refusals at the door, ports, links, sweeps), <see cref="ClusterSecurityCollection"/>,
/// <see cref="ClusterFailoverCollection"/> and <see cref="ClusterStandbyCollection"/> (these two wait for
/// deaths to be detected).
/// </summary>
[CollectionDefinition(Name)]
public sealed class ClusterProcessesCollection
{
    public const string Name = "cluster processes";
}
