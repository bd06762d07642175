using ActorTrainer.Cli.Scaling;
using ActorTrainer.Core.Optim;

namespace ActorTrainer.Cli.Tests.Scaling;

/// <summary>The capacity bench returns sane figures (speed itself is never asserted).</summary>
public sealed class ServerCapacityTests
{
    [Theory]
    [InlineData("sgd", 24)]      // 4 check + 12 rule + 8 publish (into a pooled array)
    [InlineData("momentum", 32)] // + one buffer read and written
    [InlineData("adam", 40)]     // + m and v
    public void Bytes_per_update_count_the_check_the_rule_with_its_buffers_and_the_published_copy(string optimizer, int bytesPerParameter)
    {
        Assert.Equal(bytesPerParameter * 1000L, ServerCapacity.BytesPerUpdate(1000, Optimizers.Create(optimizer, 0.1f)));
    }

    [Fact]
    public void Capacity_measurement_applies_every_push_and_reports_positive_rates()
    {
        var c = ServerCapacity.Measure(1000, "adam", seconds: 0.05, warmupUpdates: 2);
        Assert.Equal((1000, "adam"), (c.ParameterCount, c.Optimizer));
        Assert.True(c.Updates > 0);
        Assert.True(c.Seconds >= 0.05);
        Assert.Equal(c.Updates / c.Seconds, c.UpdatesPerSecond, 9);
        Assert.Equal(40_000, c.BytesPerUpdate);
        Assert.Equal(c.BytesPerUpdate * c.UpdatesPerSecond, c.BytesPerSecond, 6);
        Assert.Equal(c.BytesPerSecond / 2e9, c.FractionOf(2e9), 12);
        Assert.Equal(c.UpdatesPerSecond / 4, c.SaturationWorkers(4), 12);
    }

    [Fact]
    public void Copy_bandwidth_is_positive_and_finite()
    {
        double bw = MemoryBandwidth.MeasureCopy(1 << 20, repeats: 2);
        Assert.True(double.IsFinite(bw) && bw > 0, $"bandwidth {bw}");
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryBandwidth.MeasureCopy(1000));
    }

    [Theory]
    [InlineData(1_000_000, 65)]
    [InlineData(100_000, 47)]
    [InlineData(5_000, 10)]
    public void Hidden_size_for_a_parameter_count_is_the_nearest_char_model(int p, int v)
    {
        int h = ServerBench.HiddenFor(p, v);
        long Count(int x) => (long)x * x + (long)x * (2 * v + 1) + v;
        Assert.True(Math.Abs(Count(h) - p) <= Math.Abs(Count(h + 1) - p) && Math.Abs(Count(h) - p) <= Math.Abs(Count(h - 1) - p),
            $"H={h} gives {Count(h)} parameters for {p}");
    }

    [Fact]
    public async Task Bench_server_prints_the_machine_the_bandwidth_and_one_row_per_size()
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = await Cli.RunAsync(["bench", "server", "--params", "2000,3000", "--seconds", "0.05", "--batch", "2", "--chunk", "5", "--worker-chunks", "1"], o, e);
        Assert.True(code == 0, e.ToString());
        string text = o.ToString();
        Assert.Contains($"{Environment.ProcessorCount} cores", text);
        Assert.Contains("GB/s (read + write", text);
        Assert.Contains("2,000", text);
        Assert.Contains("3,000", text);
        Assert.Contains("saturating workers", text);
    }

    [Fact]
    public async Task Bench_server_refuses_a_bad_size_list()
    {
        var o = new StringWriter(); var e = new StringWriter();
        Assert.Equal(2, await Cli.RunAsync(["bench", "server", "--params", "10,x"], o, e));
        Assert.Contains("'x' is not a positive integer", e.ToString());
    }
}
