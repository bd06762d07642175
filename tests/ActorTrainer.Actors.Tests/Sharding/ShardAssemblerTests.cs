using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Sharding;

namespace ActorTrainer.Actors.Tests.Sharding;

public sealed class ShardAssemblerTests
{
    private static readonly ShardLayout Layout = new(5, 2); // [0,3) [3,5)

    private static ServerStats Stats(long version, long applied, long rejectedStale, long stalenessSum, long maxStaleness)
    {
        var rejections = new long[Enum.GetValues<RejectionReason>().Length];
        rejections[(int)RejectionReason.TooStale] = rejectedStale;
        var hist = new long[ServerStats.StalenessBuckets];
        hist[1] = applied;
        return new ServerStats(version, version, applied, rejections, 1, maxStaleness, stalenessSum, hist);
    }

    [Fact]
    public void Validation_snapshot_is_released_only_when_every_shard_sent_its_slice_of_that_update()
    {
        var a = new ShardAssembler(Layout);
        Assert.Null(a.AddSnapshot(1, new WeightsPublished(4, 4, [4f, 5f])));
        Assert.Null(a.AddSnapshot(0, new WeightsPublished(2, 2, [0f, 0f, 0f]))); // another update's slice
        var whole = a.AddSnapshot(0, new WeightsPublished(4, 4, [1f, 2f, 3f]));
        Assert.NotNull(whole);
        Assert.Equal((4L, 4L), (whole.Version, whole.UpdateNumber));
        Assert.Equal([1f, 2f, 3f, 4f, 5f], whole.Weights);
    }

    [Fact]
    public void Completion_joins_the_slices_and_combines_counters_once_every_shard_completed()
    {
        var a = new ShardAssembler(Layout);
        Assert.Null(a.AddCompletion(1, new TrainingCompleted(CompletionReason.ReachedMaxUpdates, "done", 10, [4f, 5f], Stats(10, 10, 2, 7, 3))));
        Assert.True(a.IsFirstCompletion);
        var whole = a.AddCompletion(0, new TrainingCompleted(CompletionReason.Stopped, "told to", 9, [1f, 2f, 3f], Stats(9, 9, 1, 5, 2)));
        Assert.False(a.IsFirstCompletion);
        Assert.NotNull(whole);
        Assert.Equal(CompletionReason.ReachedMaxUpdates, whole.Reason); // the first shard's reason
        Assert.Equal(9, whole.Version);                                 // all of W is at least that far
        Assert.Equal([1f, 2f, 3f, 4f, 5f], whole.Weights);
        Assert.Equal(9, whole.Stats.Updates);
        Assert.Equal(19, whole.Stats.GradientsApplied);
        Assert.Equal(3, whole.Stats.Rejections(RejectionReason.TooStale));
        Assert.Equal(12, whole.Stats.StalenessSum);
        Assert.Equal(3, whole.Stats.MaxStaleness);
        Assert.Equal(19, whole.Stats.StalenessHistogram[1]);
        Assert.Equal(1, whole.Stats.NonFiniteReports); // every shard hears the same reports
    }

    [Fact]
    public void One_shard_passes_reports_straight_through()
    {
        var a = new ShardAssembler(ShardLayout.Single(2));
        var snap = new WeightsPublished(1, 1, [1f, 2f]);
        Assert.Same(snap, a.AddSnapshot(0, snap));
        var done = new TrainingCompleted(CompletionReason.Stopped, "x", 1, [1f, 2f], Stats(1, 1, 0, 0, 0));
        Assert.Same(done, a.AddCompletion(0, done));
    }

    [Fact]
    public void A_slice_of_the_wrong_length_or_a_second_completion_is_an_error()
    {
        var a = new ShardAssembler(Layout);
        Assert.Contains("shard 1 [3, 5) sent 3 values", Assert.Throws<ArgumentException>(
            () => a.AddSnapshot(1, new WeightsPublished(1, 1, [1f, 2f, 3f]))).Message);
        var done = new TrainingCompleted(CompletionReason.Stopped, "x", 1, [1f, 2f], Stats(1, 1, 0, 0, 0));
        a.AddCompletion(1, done);
        Assert.Throws<InvalidOperationException>(() => a.AddCompletion(1, done));
    }
}
