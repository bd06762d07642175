using System.Globalization;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Checkpoints;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>Real clusters that lose a node mid-run: a worker node killed, or the ps killed and resumed from its checkpoint.</summary>
[Trait("Category", "Cluster")]
[Collection(ClusterFailoverCollection.Name)]
public sealed class ClusterFailoverProcessTests : ClusterRunTests
{
    [Fact]
    public async Task A_worker_node_killed_mid_run_in_sync_mode_changes_nothing_the_final_W_and_h_are_bit_identical()
    {
        int port = TestNodes.FreePort();
        string run = Path.Combine(Root, "killed");
        string[] training = With(Small, "--eval-every", "200");
        await using var ps = TestNodes.Start("ps", Node("ps", port, training, ["--port", $"{port}", "--workers", "2", "--updates", $"{Endless}", "--out", run]));
        await using var survivor = TestNodes.Start("survivor", Node("worker", port, "--workers-per-node", "1"));
        await using var victim = TestNodes.Start("victim", Node("worker", port, "--workers-per-node", "1"));

        // Let training run on both, then SIGKILL one worker process: it never says goodbye.
        string metricsPath = Path.Combine(run, "metrics.csv");
        await WaitUntilAsync(() => MetricsLines(metricsPath) >= 101, ps);
        string victimAddress = victim.Address ?? throw new InvalidOperationException(victim.Describe());
        string survivorAddress = survivor.Address ?? throw new InvalidOperationException(survivor.Describe());
        victim.Kill();

        // Once its slot has moved, 100 more updates on the survivor alone, then the run is stopped.
        await WaitUntilAsync(() => ps.Stderr.Contains("with its hidden state", StringComparison.Ordinal), ps, survivor);
        int updates = await StopRunAsync(ps, run, Rows(metricsPath).Count + 100, survivor);
        Assert.True(await survivor.ExitCodeAsync(RunTimeout) == 0, survivor.Describe());
        Assert.True(ps.Stderr.Contains($"worker node {victimAddress} dropped", StringComparison.Ordinal), ps.Describe());
        Assert.True(ps.Stderr.Contains($"→ {survivorAddress} (from {victimAddress})", StringComparison.Ordinal), ps.Describe());

        // Every round waited for both slots: each update averages slots 0 and 1, and the ledger shows
        // every (slot, chunk) applied once, none lost.
        var metrics = Rows(metricsPath);
        Assert.Equal(updates, metrics.Count);
        Assert.All(metrics, r => Assert.Equal("0;1", r[2]));
        var ledger = DataLedger.Read(metricsPath);
        Assert.True(ledger.IsExact, ledger.ToString());
        Assert.Equal(updates, ledger.Chunks[0].Count);

        // The moved slot went on with its h, so the run is the fault-free run: in one process, the same
        // settings end with the same W, optimizer state and h, bit for bit.
        await AssertSameAsInProcessAsync(training, updates, run);
        Assert.Contains(SafetensorsFile.Read(Path.Combine(run, "state.safetensors"))["worker.0.hidden"].Data, h => h != 0f); // the real h, not zeros
    }

    [Fact]
    public async Task A_worker_node_killed_mid_run_in_async_mode_loses_no_chunk_and_applies_none_twice()
    {
        int port = TestNodes.FreePort();
        string run = Path.Combine(Root, "killed-async");
        string[] training = [.. With(Small, "--eval-every", "300"), "--mode", "async"];
        await using var ps = TestNodes.Start("ps", Node("ps", port, training, ["--port", $"{port}", "--workers", "2", "--updates", $"{Endless}", "--out", run]));
        await using var survivor = TestNodes.Start("survivor", Node("worker", port, training, ["--workers-per-node", "1"]));
        await using var victim = TestNodes.Start("victim", Node("worker", port, training, ["--workers-per-node", "1"]));

        string metricsPath = Path.Combine(run, "metrics.csv");
        await WaitUntilAsync(() => MetricsLines(metricsPath) >= 201, ps);
        victim.Kill(); // with pushes in flight: async workers keep up to two unanswered

        await WaitUntilAsync(() => ps.Stderr.Contains("with its hidden state", StringComparison.Ordinal), ps, survivor);
        int updates = await StopRunAsync(ps, run, Rows(metricsPath).Count + 200, survivor);
        Assert.True(await survivor.ExitCodeAsync(RunTimeout) == 0, survivor.Describe());

        // Whatever the dead node had on the wire is computed again by the slot's new host, from the
        // chunk after the last one the server accepted: every (slot, chunk) once, none missing.
        Assert.Equal(updates, Rows(metricsPath).Count);
        var ledger = DataLedger.Read(metricsPath);
        Assert.True(ledger.IsExact, ledger.ToString());
        Assert.Equal(updates, ledger.Chunks.Values.Sum(c => c.Count));
    }

    [Fact]
    public async Task A_killed_ps_node_resumed_from_its_checkpoint_ends_the_run_bit_identical_to_the_fault_free_run()
    {
        int port = TestNodes.FreePort();
        string run = Path.Combine(Root, "resumed");
        string[] training = [.. With(Small, "--eval-every", "100"), "--checkpoint-every", "100"];
        string metricsPath = Path.Combine(run, "metrics.csv");
        await using (var ps = TestNodes.Start("ps", Node("ps", port, training, ["--port", $"{port}", "--workers", "2", "--updates", $"{Endless}", "--out", run])))
        {
            // The first worker node joins a ps that is up (in a second or two, however loaded the machine) and,
            // once its server is gone, looks for one that took over for --join-timeout: 5 s, not the tests' 60.
            await WaitUntilAsync(() => ps.Stderr.Contains("ps node up", StringComparison.Ordinal), ps);
            await using var first = TestNodes.Start("worker-1", With(Node("worker", port, training, ["--workers-per-node", "2"]), "--join-timeout", "5s"));
            // SIGKILL the ps node after its first checkpoint (update 100).
            await WaitUntilAsync(() => MetricsLines(metricsPath) >= 131, ps, first);
            ps.Kill();
            Assert.True(await first.ExitCodeAsync(RunTimeout) == 1, first.Describe()); // its server is gone
        }
        string checkpoint = SafetensorsFile.Read(Path.Combine(run, "state.safetensors")).Metadata["updates"];
        int at = int.Parse(checkpoint, CultureInfo.InvariantCulture);
        Assert.True(at >= 100 && at % 100 == 0, $"checkpoint at update {at}");

        // The resumed run ends 200 updates after its checkpoint (no update depends on the run's target:
        // there is no schedule), and the fault-free run to the same target is the reference.
        int updates = at + 200;
        int port2 = TestNodes.FreePort();
        await using var resumed = TestNodes.Start("ps-resumed", Node("ps", port2, training, ["--port", $"{port2}", "--resume", run, "--updates", $"{updates}"]));
        await using var second = TestNodes.Start("worker-2", Node("worker", port2, training, ["--workers-per-node", "2"]));

        Assert.True(await resumed.ExitCodeAsync(RunTimeout) == 0, resumed.Describe());
        Assert.True(await second.ExitCodeAsync(RunTimeout) == 0, second.Describe());
        Assert.Contains($"resuming at update {checkpoint}", resumed.Stderr);

        AssertOneRowPerUpdateAndEveryChunkOnce(metricsPath, updates);

        await AssertSameAsInProcessAsync(training, updates, run);
    }


}
