using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCollectionOrderer("ActorTrainer.Cli.Tests.LongestCollectionsFirst", "ActorTrainer.Cli.Tests")]

namespace ActorTrainer.Cli.Tests;

/// <summary>
/// Starts the cluster process collections first, longest first, then the rest in xunit's order: with three
/// collections at once (Parallelism.cs), a long collection started last ran alone for its last 20 s
/// (docs/testing.md).
/// </summary>
public sealed class LongestCollectionsFirst : ITestCollectionOrderer
{
    /// <summary>Measured lengths, longest first: runs (with the sweep and the namespaces), security, standby, failover.</summary>
    private static readonly string[] First =
    [
        Cluster.ClusterProcessesCollection.Name, Cluster.ClusterSecurityCollection.Name,
        Cluster.ClusterStandbyCollection.Name, Cluster.ClusterFailoverCollection.Name,
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections)
    {
        static int Rank(ITestCollection c) => Array.IndexOf(First, c.DisplayName) is >= 0 and var i ? i : First.Length;
        return testCollections.Select((c, i) => (c, i)).OrderBy(x => Rank(x.c)).ThenBy(x => x.i).Select(x => x.c).ToList();
    }
}
