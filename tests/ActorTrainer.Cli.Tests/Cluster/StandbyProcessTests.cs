using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Checkpoints;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>Real clusters with a standby parameter server: the active ps node killed or stopped.</summary>
[Trait("Category", "Cluster")]
[Collection(ClusterStandbyCollection.Name)]
public sealed class StandbyProcessTests(Xunit.Abstractions.ITestOutputHelper log) : ClusterRunTests
{
    [Fact]
    public async Task The_active_ps_node_killed_with_a_standby_present_in_sync_mode_the_standby_takes_over_and_the_run_ends_bit_identical()
    {
        string run = Path.Combine(Root, "standby");
        string[] training = [.. With(Small, "--eval-every", "500"), "--checkpoint-every", "50"];
        string metricsPath = Path.Combine(run, "metrics.csv");
        await using var nodes = await StandbyCluster.StartAsync(run, training);
        var (active, standby, w1, w2) = (nodes.Active, nodes.Standby, nodes.Worker1, nodes.Worker2);

        // SIGKILL the active ps node after its second checkpoint.
        await WaitUntilAsync(() => MetricsLines(metricsPath) >= 131, active, standby);
        active.Kill();
        var sinceKill = System.Diagnostics.Stopwatch.StartNew();
        await WaitUntilAsync(() => standby.Stderr.Contains("first update as server epoch 2", StringComparison.Ordinal), standby);
        double takeover = sinceKill.Elapsed.TotalSeconds;
        log.WriteLine($"took over after {takeover:F2} s (SIGKILL of the active ps node → first update applied by the standby; polled every 20 ms)");

        // 100 updates after the takeover, the run is stopped.
        int updates = await StopRunAsync(standby, run, Rows(metricsPath).Count + 100, w1, w2);
        Assert.True(await w1.ExitCodeAsync(RunTimeout) == 0, w1.Describe());
        Assert.True(await w2.ExitCodeAsync(RunTimeout) == 0, w2.Describe());
        Assert.Contains("taking over run", standby.Stderr);

        // The standby continued from the last checkpoint.
        var metrics = AssertOneRowPerUpdateAndEveryChunkOnce(metricsPath, updates);
        Assert.All(metrics, r => Assert.Equal("0;1", r[2]));

        await AssertSameAsInProcessAsync(training, updates, run);
        Assert.Equal("2", SafetensorsFile.Read(Path.Combine(run, "state.safetensors")).Metadata["epoch"]); // the final checkpoint is the standby's
    }

    [Fact]
    public async Task The_active_ps_node_killed_with_a_standby_present_in_async_mode_the_run_completes_with_no_chunk_lost_or_applied_twice()
    {
        string run = Path.Combine(Root, "standby-async");
        string[] training = [.. With(Small, "--eval-every", "1000"), "--mode", "async", "--checkpoint-every", "50"];
        string metricsPath = Path.Combine(run, "metrics.csv");
        await using var nodes = await StandbyCluster.StartAsync(run, training);
        var (active, standby, w1, w2) = (nodes.Active, nodes.Standby, nodes.Worker1, nodes.Worker2);

        await WaitUntilAsync(() => MetricsLines(metricsPath) >= 181, active);
        active.Kill(); // with pushes in flight: async workers keep up to two unanswered

        await WaitUntilAsync(() => standby.Stderr.Contains("first update as server epoch 2", StringComparison.Ordinal), standby);
        int updates = await StopRunAsync(standby, run, Rows(metricsPath).Count + 200, w1, w2);
        Assert.True(await w1.ExitCodeAsync(RunTimeout) == 0, w1.Describe());
        Assert.True(await w2.ExitCodeAsync(RunTimeout) == 0, w2.Describe());

        // The standby continued from the last checkpoint; what the dead server applied after it was
        // computed again, none missing.
        AssertOneRowPerUpdateAndEveryChunkOnce(metricsPath, updates);
        Assert.Equal(updates, DataLedger.Read(metricsPath).Chunks.Values.Sum(c => c.Count));
    }

    [Fact]
    public async Task Sigterm_of_the_active_ps_node_ends_the_run_and_the_standby_stands_down()
    {
        int port = TestNodes.FreePort(), standbyPort = TestNodes.FreePort();
        string run = Path.Combine(Root, "standby-stop");
        string[] training = [.. Small, "--checkpoint-every", "50"];
        string metricsPath = Path.Combine(run, "metrics.csv");
        await using var active = TestNodes.Start("ps-active", Node("ps", port, training, ["--port", $"{port}", "--workers", "1", "--updates", $"{Endless}", "--out", run]));
        await using var standby = TestNodes.Start("ps-standby", Node("ps", port, training, ["--port", $"{standbyPort}", "--standby", "on", "--resume", run, "--updates", $"{Endless}"]));
        await WaitUntilAsync(() => standby.Stderr.Contains("standby ps node up", StringComparison.Ordinal), standby);
        await using var worker = TestNodes.Start("worker", Node("worker", port, training, ["--workers-per-node", "1"]));
        await WaitUntilAsync(() => MetricsLines(metricsPath) >= 101, active);

        active.Terminate(); // a request to stop the run, not a death: nobody takes over

        Assert.True(await active.ExitCodeAsync(RunTimeout) == 0, active.Describe());
        Assert.True(await worker.ExitCodeAsync(RunTimeout) == 0, worker.Describe());
        Assert.True(await standby.ExitCodeAsync(RunTimeout) == 0, standby.Describe());
        Assert.Contains("ended the run: Stopped after", standby.Stdout);
        Assert.DoesNotContain("taking over", standby.Stderr);
    }

    /// <summary>An active ps node for a run into <paramref name="run"/> that a test stops (<see cref="ClusterRunTests.Endless"/>), its
    /// standby, and, once the standby is in the cluster, two worker nodes of one slot each.</summary>
    private sealed class StandbyCluster : IAsyncDisposable
    {
        private readonly List<NodeProcess> _started = [];

        public NodeProcess Active => _started[0];
        public NodeProcess Standby => _started[1];
        public NodeProcess Worker1 => _started[2];
        public NodeProcess Worker2 => _started[3];

        public static async Task<StandbyCluster> StartAsync(string run, string[] training)
        {
            int port = TestNodes.FreePort(), standbyPort = TestNodes.FreePort();
            var nodes = new StandbyCluster();
            try
            {
                nodes._started.Add(TestNodes.Start("ps-active", Node("ps", port, training, ["--port", $"{port}", "--workers", "2", "--updates", $"{Endless}", "--out", run])));
                // The standby may start before the active has created the run directory: it waits for it.
                var standby = TestNodes.Start("ps-standby", Node("ps", port, training, ["--port", $"{standbyPort}", "--standby", "on", "--resume", run, "--updates", $"{Endless}"]));
                nodes._started.Add(standby);
                // Training starts once the standby is in the cluster (the run is a few seconds long).
                await WaitUntilAsync(() => standby.Stderr.Contains("standby ps node up", StringComparison.Ordinal), standby);
                nodes._started.Add(TestNodes.Start("worker-1", Node("worker", port, training, ["--workers-per-node", "1"])));
                nodes._started.Add(TestNodes.Start("worker-2", Node("worker", port, training, ["--workers-per-node", "1"])));
                return nodes;
            }
            catch
            {
                await nodes.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var node in Enumerable.Reverse(_started)) await node.DisposeAsync();
        }
    }
}
