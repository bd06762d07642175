using ActorTrainer.Cli.Scaling;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Tests.Scaling;

public sealed class ScaleMetricsTests
{
    private static ConfigResult Result(int n, ConsistencyMode mode, long tokens, double wall, int shards = 1) => new()
    {
        Config = new ScaleConfig(n, new ModeSpec(mode, 0), 25, shards),
        Tokens = tokens, Updates = 1, WallSeconds = wall, FinalLoss = 1, GradientsApplied = 1, GradientsRejected = 0,
        StalenessCounts = [1], StalenessMean = 0, StalenessP50 = 0, StalenessP99 = 0, StalenessMax = 0,
        ServerBusy = 0, WorkerIdle = 0, SecondsPerChunk = 0, BytesSent = 0, BytesReceived = 0, Gen2Collections = 0, Completion = "x", Curve = [],
    };

    [Fact]
    public void Speedup_and_efficiency_compare_with_the_one_worker_run_of_the_same_group()
    {
        var results = ScaleMetrics.WithSpeedups([
            Result(1, ConsistencyMode.Async, 1000, 1),
            Result(4, ConsistencyMode.Async, 3000, 1),
            Result(2, ConsistencyMode.Async, 1000, 1, shards: 2), // no 1-worker run with 2 shards
            Result(1, ConsistencyMode.Sync, 500, 1),
            Result(2, ConsistencyMode.Sync, 1500, 1),
        ], cores: 2);
        Assert.Equal((1.0, 1.0, 1.0), (results[0].Speedup, results[0].Efficiency, results[0].CoreEfficiency));
        Assert.Equal((3.0, 0.75, 1.5), (results[1].Speedup, results[1].Efficiency, results[1].CoreEfficiency));
        Assert.Null(results[2].Speedup);
        Assert.Null(results[2].Efficiency);
        Assert.Equal((3.0, 1.5), (results[4].Speedup, results[4].Efficiency));
    }

    [Fact]
    public void Percentiles_use_the_nearest_rank_of_the_counts()
    {
        long[] counts = [50, 30, 19, 0, 1]; // 100 values: 0×50, 1×30, 2×19, 4×1
        Assert.Equal(0, ScaleMetrics.Percentile(counts, 0.5));
        Assert.Equal(1, ScaleMetrics.Percentile(counts, 0.51));
        Assert.Equal(2, ScaleMetrics.Percentile(counts, 0.99));
        Assert.Equal(4, ScaleMetrics.Percentile(counts, 1));
        Assert.Equal((30 + 38 + 4) / 100.0, ScaleMetrics.Mean(counts), 12);
        Assert.Equal(0, ScaleMetrics.Percentile([], 0.5));
    }

    [Fact]
    public void Time_to_target_is_the_first_point_at_or_below_it()
    {
        CurvePoint[] curve = [new(0, 0, 0, 0, 4), new(1.5, 10, 10, 100, 3), new(2.5, 20, 20, 200, 2.5), new(3, 30, 30, 300, 2)];
        Assert.Equal(2.5, ScaleMetrics.TimeToTarget(curve, 2.5));
        Assert.Null(ScaleMetrics.TimeToTarget(curve, 1));
    }

    [Theory]
    [InlineData("sync", ConsistencyMode.Sync, 0)]
    [InlineData("ASYNC", ConsistencyMode.Async, 0)]
    [InlineData("ssp", ConsistencyMode.Ssp, 3)]
    [InlineData("ssp:5", ConsistencyMode.Ssp, 5)]
    public void Modes_parse_with_their_staleness_bound(string text, ConsistencyMode mode, int s)
    {
        Assert.Equal(new ModeSpec(mode, s), ModeSpec.Parse(text, defaultStaleness: 3));
    }

    [Fact]
    public void Configurations_are_grouped_with_workers_ascending()
    {
        var s = new ScaleSettings { Workers = [4, 1, 2], Modes = [ModeSpec.Parse("sync"), ModeSpec.Parse("async")], Shards = [1, 2] };
        var configs = s.Configurations();
        Assert.Equal(12, configs.Count);
        Assert.Equal([1, 2, 4], configs.Take(3).Select(c => c.Workers));
        Assert.Equal(12, configs.Select(c => c.Label).Distinct().Count());
    }
}
