using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCollectionOrderer("ActorTrainer.Cli.Tests.LongestCollectionsFirst", "ActorTrainer.Cli.Tests")]

namespace ActorTrainer.Cli.Tests;

/// <summary>Starts the cluster process collections first, longest first, then the rest in xunit's order, so no
/// long collection starts last and runs alone (docs/testing.md).</summary>
public sealed class LongestCollectionsFirst : ITestCollectionOrderer
{
    /// <summary>Longest first, as measured (docs/testing.md).</summary>
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
