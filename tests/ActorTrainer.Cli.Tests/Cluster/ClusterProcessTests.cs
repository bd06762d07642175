using System.Globalization;
using ActorTrainer.Core.Checkpoints;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>Runs of real clusters from start to end, and nodes refused at the door.</summary>
[Trait("Category", "Cluster")]
[Collection(ClusterProcessesCollection.Name)]
public sealed class ClusterProcessTests : ClusterRunTests
{
    [Fact]
    public async Task One_ps_and_two_worker_processes_train_below_the_loss_threshold_and_exit_cleanly()
    {
        int port = TestNodes.FreePort();
        string run = Path.Combine(Root, "cluster");
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
        string inProcess = Path.Combine(Root, "inproc");
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
        string run = Path.Combine(Root, "reduced");
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

        string inProcess = Path.Combine(Root, "inproc");
        Assert.Equal(0, await ActorTrainer.Cli.Cli.RunAsync(["train", .. training, "--workers", "2", "--updates", $"{updates}", "--out", inProcess],
            new StringWriter(), new StringWriter()));
        AssertSameCheckpoint(inProcess, run);
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
            "--out", Path.Combine(Root, "mismatch")));
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
