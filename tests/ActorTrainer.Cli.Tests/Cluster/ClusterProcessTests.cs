using System.Globalization;
using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// Real clusters: separate `actortrainer node` processes on the loopback, each test on its own free
/// ports. One class, so its tests run one after another (each starts up to three .NET processes).
/// Timeouts only guard against hangs; nothing here asserts speed.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(ClusterProcessesCollection.Name)]
public sealed class ClusterProcessTests(Xunit.Abstractions.ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);

    /// <summary>A small model on the built-in corpus: trains to ~1.1 nats/char in 300 sync updates. Its
    /// 18383 parameters are more than one 16384-float part, so tensors cross the wire in two parts.</summary>
    private static readonly string[] Small =
        ["--hidden", "96", "--batch", "8", "--chunk", "25", "--lr", "0.01", "--eval-every", "100", "--progress", "off", "--sample", "0"];

    private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"at-cluster-{Guid.NewGuid():N}")).FullName;


    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string[] Node(string role, int seedPort, params string[] more) => Node(role, seedPort, Small, more);

    private static string[] Node(string role, int seedPort, string[] training, string[] more) =>
        ["--role", role, "--config", TestNodes.LocalConf, "--seeds", $"127.0.0.1:{seedPort}", "--join-timeout", "60s", .. training, .. more];

    /// <summary><paramref name="args"/> with the value of <paramref name="flag"/> replaced.</summary>
    private static string[] With(string[] args, string flag, string value)
    {
        var copy = args.ToArray();
        copy[Array.IndexOf(copy, flag) + 1] = value;
        return copy;
    }

    /// <summary>Waits (at most RunTimeout, polling every 20 ms) until <paramref name="condition"/> holds;
    /// fails at once with its output if one of <paramref name="alive"/> exits first.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, params NodeProcess[] alive)
    {
        using var wait = new CancellationTokenSource(RunTimeout);
        while (!condition())
        {
            foreach (var node in alive) Assert.False(node.HasExited, node.Describe());
            await Task.Delay(20, wait.Token);
        }
    }

    /// <summary>Lines of metrics.csv so far, header included (0 before it exists).</summary>
    private static int MetricsLines(string path) => File.Exists(path) ? File.ReadLines(path).Count() : 0;

    private static List<string[]> Rows(string csv) => CsvReader.ReadAll(csv).Skip(1).Where(r => r.Length > 1).ToList();

    [Fact]
    public async Task One_ps_and_two_worker_processes_train_below_the_loss_threshold_and_exit_cleanly()
    {
        int port = TestNodes.FreePort();
        string run = Path.Combine(_root, "cluster");
        // The first worker starts before any ps node exists: it waits and joins when the ps appears.
        await using var early = TestNodes.Start("worker-early", Node("worker", port, "--workers-per-node", "1"));
        using (var joining = new CancellationTokenSource(RunTimeout))
            while (!early.Stderr.Contains("joining the cluster", StringComparison.Ordinal) && !early.HasExited)
                await Task.Delay(50, joining.Token); // polls for the worker's own "joining" line: it waits before any ps exists
        await using var ps = TestNodes.Start("ps", Node("ps", port, "--port", $"{port}", "--workers", "2", "--updates", "300", "--out", run));
        await using var late = TestNodes.Start("worker-late", Node("worker", port, "--workers-per-node", "1"));

        int psExit = await ps.ExitCodeAsync(RunTimeout);
        Assert.True(psExit == 0, ps.Describe());
        Assert.True(await early.ExitCodeAsync(RunTimeout) == 0, early.Describe());
        Assert.True(await late.ExitCodeAsync(RunTimeout) == 0, late.Describe());

        Assert.Contains("trained 300 updates", ps.Stdout);
        var metrics = Rows(Path.Combine(run, "metrics.csv"));
        Assert.Equal(300, metrics.Count);
        Assert.All(metrics, r => Assert.Equal("0;1", r[2])); // sync: every update averages both slots
        var validation = Rows(Path.Combine(run, "validation.csv"));
        double finalLoss = double.Parse(validation[^1][2], CultureInfo.InvariantCulture);
        Assert.True(finalLoss < 2.0, $"validation loss {finalLoss} after 300 updates (ln 47 ≈ 3.85 at the start)");
        foreach (var file in new[] { "run.json", "loss.png", "model.safetensors", "state.safetensors", "sample.txt" })
            Assert.True(File.Exists(Path.Combine(run, file)), $"{file} missing from the ps node's run directory");
        Training.TensorBoardRunTests.AssertEventsMatchMetrics(run, learningRate: 0.01f); // the ps node writes TensorBoard events too

        // Sync mode is deterministic: the same run in one process ends with the same W, bit for bit.
        string inProcess = Path.Combine(_root, "inproc");
        var err = new StringWriter();
        Assert.Equal(0, await ActorTrainer.Cli.Cli.RunAsync(["train", .. Small, "--workers", "2", "--updates", "300", "--out", inProcess], new StringWriter(), err));
        var clusterModel = SafetensorsFile.Read(Path.Combine(run, "model.safetensors"));
        var localModel = SafetensorsFile.Read(Path.Combine(inProcess, "model.safetensors"));
        Assert.Equal(localModel.Tensors.Select(t => t.Name), clusterModel.Tensors.Select(t => t.Name));
        foreach (var t in localModel.Tensors) Assert.Equal(t.Data, clusterModel[t.Name].Data);
    }

    [Fact]
    public async Task With_top_k_bf16_weights_and_local_steps_a_cluster_run_ends_bit_identical_to_the_same_run_in_one_process()
    {
        // The encodings are rules of the worker and the server, not of the wire: sparse pushes (their
        // density warming up over 20 updates, by the version each push was computed on), bf16
        // broadcasts and two-chunk windows cross the tensor channel and change nothing.
        const int updates = 60;
        int port = TestNodes.FreePort();
        string run = Path.Combine(_root, "reduced");
        string[] training = [.. With(Small, "--eval-every", "30"), "--push-encoding", "topk:0.05:20", "--weights-encoding", "bf16", "--local-steps", "2"];
        await using var ps = TestNodes.Start("ps", Node("ps", port, training, ["--port", $"{port}", "--workers", "2", "--updates", $"{updates}", "--out", run]));
        await using var a = TestNodes.Start("worker-a", Node("worker", port, training, ["--workers-per-node", "1"]));
        await using var b = TestNodes.Start("worker-b", Node("worker", port, training, ["--workers-per-node", "1"]));

        Assert.True(await ps.ExitCodeAsync(RunTimeout) == 0, ps.Describe());
        Assert.True(await a.ExitCodeAsync(RunTimeout) == 0, a.Describe());
        Assert.True(await b.ExitCodeAsync(RunTimeout) == 0, b.Describe());
        var metrics = Rows(Path.Combine(run, "metrics.csv"));
        Assert.Equal(updates, metrics.Count);
        Assert.All(metrics, r => Assert.Equal("800", r[8])); // two slots × two chunks × B·k = 8·25 tokens

        string inProcess = Path.Combine(_root, "inproc");
        Assert.Equal(0, await ActorTrainer.Cli.Cli.RunAsync(["train", .. training, "--workers", "2", "--updates", $"{updates}", "--out", inProcess],
            new StringWriter(), new StringWriter()));
        AssertSameCheckpoint(inProcess, run);
    }

    [Fact]
    public async Task A_worker_node_killed_mid_run_in_sync_mode_changes_nothing_the_final_W_and_h_are_bit_identical()
    {
        const int updates = 1600; // long enough that the kill after update 100 cannot meet the run's end on an idle machine
        int port = TestNodes.FreePort();
        string run = Path.Combine(_root, "killed");
        string[] training = With(Small, "--eval-every", "200");
        await using var ps = TestNodes.Start("ps", Node("ps", port, training, ["--port", $"{port}", "--workers", "2", "--updates", $"{updates}", "--out", run]));
        await using var survivor = TestNodes.Start("survivor", Node("worker", port, "--workers-per-node", "1"));
        await using var victim = TestNodes.Start("victim", Node("worker", port, "--workers-per-node", "1"));

        // Let training run on both, then SIGKILL one worker process: it never says goodbye.
        string metricsPath = Path.Combine(run, "metrics.csv");
        await WaitUntilAsync(() => MetricsLines(metricsPath) >= 101, ps);
        string victimAddress = victim.Address ?? throw new InvalidOperationException(victim.Describe());
        string survivorAddress = survivor.Address ?? throw new InvalidOperationException(survivor.Describe());
        victim.Kill();

        Assert.True(await ps.ExitCodeAsync(RunTimeout) == 0, ps.Describe());
        Assert.True(await survivor.ExitCodeAsync(RunTimeout) == 0, survivor.Describe());
        Assert.True(ps.Stderr.Contains($"worker node {victimAddress} dropped", StringComparison.Ordinal), ps.Describe());
        Assert.True(ps.Stderr.Contains($"→ {survivorAddress} (from {victimAddress})", StringComparison.Ordinal), ps.Describe());
        Assert.True(ps.Stderr.Contains("with its hidden state", StringComparison.Ordinal), ps.Describe());

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
        string inProcess = Path.Combine(_root, "inproc");
        Assert.Equal(0, await ActorTrainer.Cli.Cli.RunAsync(["train", .. training, "--workers", "2", "--updates", $"{updates}", "--out", inProcess],
            new StringWriter(), new StringWriter()));
        AssertSameCheckpoint(inProcess, run);
        Assert.Contains(SafetensorsFile.Read(Path.Combine(run, "state.safetensors"))["worker.0.hidden"].Data, h => h != 0f); // the real h, not zeros
    }

    [Fact]
    public async Task A_worker_node_killed_mid_run_in_async_mode_loses_no_chunk_and_applies_none_twice()
    {
        const int updates = 3000; // long enough that the kill after update 200 cannot meet the run's end on an idle machine
        int port = TestNodes.FreePort();
        string run = Path.Combine(_root, "killed-async");
        string[] training = [.. With(Small, "--eval-every", "300"), "--mode", "async"];
        await using var ps = TestNodes.Start("ps", Node("ps", port, training, ["--port", $"{port}", "--workers", "2", "--updates", $"{updates}", "--out", run]));
        await using var survivor = TestNodes.Start("survivor", Node("worker", port, training, ["--workers-per-node", "1"]));
        await using var victim = TestNodes.Start("victim", Node("worker", port, training, ["--workers-per-node", "1"]));

        string metricsPath = Path.Combine(run, "metrics.csv");
        await WaitUntilAsync(() => MetricsLines(metricsPath) >= 201, ps);
        victim.Kill(); // with pushes in flight: async workers keep up to two unanswered

        Assert.True(await ps.ExitCodeAsync(RunTimeout) == 0, ps.Describe());
        Assert.True(await survivor.ExitCodeAsync(RunTimeout) == 0, survivor.Describe());
        Assert.True(ps.Stderr.Contains("with its hidden state", StringComparison.Ordinal), ps.Describe());

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
        const int updates = 2000; // long enough that the kill after update 130 cannot meet the run's end on an idle machine
        int port = TestNodes.FreePort();
        string run = Path.Combine(_root, "resumed");
        string[] training = [.. With(Small, "--eval-every", "100"), "--checkpoint-every", "100"];
        string metricsPath = Path.Combine(run, "metrics.csv");
        await using (var ps = TestNodes.Start("ps", Node("ps", port, training, ["--port", $"{port}", "--workers", "2", "--updates", $"{updates}", "--out", run])))
        await using (var first = TestNodes.Start("worker-1", Node("worker", port, training, ["--workers-per-node", "2"])))
        {
            // SIGKILL the ps node after its first checkpoint (update 100), well before the run's end.
            await WaitUntilAsync(() => MetricsLines(metricsPath) >= 131, ps);
            ps.Kill();
            Assert.True(await first.ExitCodeAsync(RunTimeout) == 1, first.Describe()); // its server is gone
        }
        string checkpoint = SafetensorsFile.Read(Path.Combine(run, "state.safetensors")).Metadata["updates"];
        int at = int.Parse(checkpoint, CultureInfo.InvariantCulture);
        Assert.True(at >= 100 && at < updates && at % 100 == 0, $"checkpoint at update {at}");

        int port2 = TestNodes.FreePort();
        await using var resumed = TestNodes.Start("ps-resumed", Node("ps", port2, training, ["--port", $"{port2}", "--resume", run, "--updates", $"{updates}"]));
        await using var second = TestNodes.Start("worker-2", Node("worker", port2, training, ["--workers-per-node", "2"]));

        Assert.True(await resumed.ExitCodeAsync(RunTimeout) == 0, resumed.Describe());
        Assert.True(await second.ExitCodeAsync(RunTimeout) == 0, second.Describe());
        Assert.Contains($"resuming at update {checkpoint}", resumed.Stderr);

        // The rows the killed ps logged after its checkpoint were dropped and logged again: one row per
        // update, and every (slot, chunk) applied once.
        var metrics = Rows(metricsPath);
        Assert.Equal(Enumerable.Range(1, updates).Select(i => i.ToString(CultureInfo.InvariantCulture)), metrics.Select(r => r[0]));
        var ledger = DataLedger.Read(metricsPath);
        Assert.True(ledger.IsExact, ledger.ToString());

        string inProcess = Path.Combine(_root, "inproc");
        Assert.Equal(0, await ActorTrainer.Cli.Cli.RunAsync(["train", .. training, "--workers", "2", "--updates", $"{updates}", "--out", inProcess],
            new StringWriter(), new StringWriter()));
        AssertSameCheckpoint(inProcess, run);
    }

    [Fact]
    public async Task The_active_ps_node_killed_with_a_standby_present_in_sync_mode_the_standby_takes_over_and_the_run_ends_bit_identical()
    {
        const int updates = 1000; // long enough that the kill cannot meet the run's end on a loaded machine
        int port = TestNodes.FreePort(), standbyPort = TestNodes.FreePort();
        string run = Path.Combine(_root, "standby");
        string[] training = [.. With(Small, "--eval-every", "500"), "--checkpoint-every", "50"];
        string metricsPath = Path.Combine(run, "metrics.csv");
        await using var active = TestNodes.Start("ps-active", Node("ps", port, training, ["--port", $"{port}", "--workers", "2", "--updates", $"{updates}", "--out", run]));
        // The standby may start before the active has created the run directory: it waits for it.
        await using var standby = TestNodes.Start("ps-standby", Node("ps", port, training, ["--port", $"{standbyPort}", "--standby", "on", "--resume", run, "--updates", $"{updates}"]));
        // Training starts once the standby is in the cluster (the run is a few seconds long).
        await WaitUntilAsync(() => standby.Stderr.Contains("standby ps node up", StringComparison.Ordinal), standby);
        await using var w1 = TestNodes.Start("worker-1", Node("worker", port, training, ["--workers-per-node", "1"]));
        await using var w2 = TestNodes.Start("worker-2", Node("worker", port, training, ["--workers-per-node", "1"]));

        // SIGKILL the active ps node after its second checkpoint.
        await WaitUntilAsync(() => MetricsLines(metricsPath) >= 131, active, standby);
        active.Kill();
        var sinceKill = System.Diagnostics.Stopwatch.StartNew();
        await WaitUntilAsync(() => standby.Stderr.Contains("first update as server epoch 2", StringComparison.Ordinal), standby);
        double takeover = sinceKill.Elapsed.TotalSeconds;
        log.WriteLine($"took over after {takeover:F2} s (SIGKILL of the active ps node → first update applied by the standby; polled every 20 ms)");

        Assert.True(await standby.ExitCodeAsync(RunTimeout) == 0, standby.Describe());
        Assert.True(await w1.ExitCodeAsync(RunTimeout) == 0, w1.Describe());
        Assert.True(await w2.ExitCodeAsync(RunTimeout) == 0, w2.Describe());
        Assert.Contains("taking over run", standby.Stderr);

        // The standby continued from the last checkpoint: rows the dead server logged after it were dropped
        // and logged again, one row per update, every (slot, chunk) applied once.
        var metrics = Rows(metricsPath);
        Assert.Equal(Enumerable.Range(1, updates).Select(i => i.ToString(CultureInfo.InvariantCulture)), metrics.Select(r => r[0]));
        Assert.All(metrics, r => Assert.Equal("0;1", r[2]));
        var ledger = DataLedger.Read(metricsPath);
        Assert.True(ledger.IsExact, ledger.ToString());

        string inProcess = Path.Combine(_root, "inproc");
        Assert.Equal(0, await ActorTrainer.Cli.Cli.RunAsync(["train", .. training, "--workers", "2", "--updates", $"{updates}", "--out", inProcess],
            new StringWriter(), new StringWriter()));
        AssertSameCheckpoint(inProcess, run);
        Assert.Equal("2", SafetensorsFile.Read(Path.Combine(run, "state.safetensors")).Metadata["epoch"]); // the final checkpoint is the standby's
    }

    [Fact]
    public async Task The_active_ps_node_killed_with_a_standby_present_in_async_mode_the_run_completes_with_no_chunk_lost_or_applied_twice()
    {
        const int updates = 2000; // long enough that the kill cannot meet the run's end on a loaded machine
        int port = TestNodes.FreePort(), standbyPort = TestNodes.FreePort();
        string run = Path.Combine(_root, "standby-async");
        string[] training = [.. With(Small, "--eval-every", "1000"), "--mode", "async", "--checkpoint-every", "50"];
        string metricsPath = Path.Combine(run, "metrics.csv");
        await using var active = TestNodes.Start("ps-active", Node("ps", port, training, ["--port", $"{port}", "--workers", "2", "--updates", $"{updates}", "--out", run]));
        await using var standby = TestNodes.Start("ps-standby", Node("ps", port, training, ["--port", $"{standbyPort}", "--standby", "on", "--resume", run, "--updates", $"{updates}"]));
        await WaitUntilAsync(() => standby.Stderr.Contains("standby ps node up", StringComparison.Ordinal), standby);
        await using var w1 = TestNodes.Start("worker-1", Node("worker", port, training, ["--workers-per-node", "1"]));
        await using var w2 = TestNodes.Start("worker-2", Node("worker", port, training, ["--workers-per-node", "1"]));

        await WaitUntilAsync(() => MetricsLines(metricsPath) >= 181, active);
        active.Kill(); // with pushes in flight: async workers keep up to two unanswered

        Assert.True(await standby.ExitCodeAsync(RunTimeout) == 0, standby.Describe());
        Assert.True(await w1.ExitCodeAsync(RunTimeout) == 0, w1.Describe());
        Assert.True(await w2.ExitCodeAsync(RunTimeout) == 0, w2.Describe());
        Assert.Contains("first update as server epoch 2", standby.Stderr);

        // The standby continued from the last checkpoint; what the dead server applied after it was
        // computed again: one row per update, every (slot, chunk) once, none missing.
        var metrics = Rows(metricsPath);
        Assert.Equal(Enumerable.Range(1, updates).Select(i => i.ToString(CultureInfo.InvariantCulture)), metrics.Select(r => r[0]));
        var ledger = DataLedger.Read(metricsPath);
        Assert.True(ledger.IsExact, ledger.ToString());
        Assert.Equal(updates, ledger.Chunks.Values.Sum(c => c.Count));
    }

    [Fact]
    public async Task Sigterm_of_the_active_ps_node_ends_the_run_and_the_standby_stands_down()
    {
        int port = TestNodes.FreePort(), standbyPort = TestNodes.FreePort();
        string run = Path.Combine(_root, "standby-stop");
        string[] training = [.. Small, "--checkpoint-every", "50"];
        string metricsPath = Path.Combine(run, "metrics.csv");
        await using var active = TestNodes.Start("ps-active", Node("ps", port, training, ["--port", $"{port}", "--workers", "1", "--updates", "100000", "--out", run]));
        await using var standby = TestNodes.Start("ps-standby", Node("ps", port, training, ["--port", $"{standbyPort}", "--standby", "on", "--resume", run, "--updates", "100000"]));
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

    /// <summary>model.safetensors and state.safetensors of two runs hold the same tensors, bit for bit.</summary>
    private static void AssertSameCheckpoint(string expectedRun, string actualRun)
    {
        foreach (var file in new[] { "model.safetensors", "state.safetensors" })
        {
            var expected = SafetensorsFile.Read(Path.Combine(expectedRun, file));
            var actual = SafetensorsFile.Read(Path.Combine(actualRun, file));
            Assert.Equal(expected.Tensors.Select(t => t.Name), actual.Tensors.Select(t => t.Name));
            foreach (var t in expected.Tensors)
                Assert.True(t.Data.Select(BitConverter.SingleToInt32Bits).SequenceEqual(actual[t.Name].Data.Select(BitConverter.SingleToInt32Bits)),
                    $"{file}: {t.Name} differs from the fault-free run");
        }
    }

    [Fact]
    public async Task Unreachable_seeds_end_the_node_with_a_clear_message_after_the_bounded_wait()
    {
        int nobody = TestNodes.FreePort();
        await using var worker = TestNodes.Start("worker", With(Node("worker", nobody), "--join-timeout", "3s"));

        int exit = await worker.ExitCodeAsync(TimeSpan.FromSeconds(60));

        Assert.True(exit == 1, worker.Describe());
        Assert.Contains("could not join the cluster within 3 s", worker.Stderr);
        Assert.Contains($"akka.ssl.tcp://actortrainer@127.0.0.1:{nobody}", worker.Stderr);
    }

    [Fact]
    public async Task A_worker_with_another_model_is_rejected_at_registration_with_the_reason()
    {
        int port = TestNodes.FreePort();
        await using var ps = TestNodes.Start("ps", Node("ps", port, "--port", $"{port}", "--workers", "1", "--updates", "50",
            "--out", Path.Combine(_root, "mismatch")));
        await using var worker = TestNodes.Start("worker", Node("worker", port, With(Small, "--hidden", "24"), ["--workers-per-node", "1"]));

        int exit = await worker.ExitCodeAsync(RunTimeout);

        Assert.True(exit == 2, worker.Describe());
        Assert.Contains("the parameter server rejected this node: model mismatch", worker.Stderr);
        Assert.Contains("H=24", worker.Stderr);
        Assert.Contains("H=96", worker.Stderr);
        Assert.False(ps.HasExited, ps.Describe()); // the ps goes on waiting for a matching worker
        Assert.Contains("rejected worker node", ps.Stderr);
    }
}
