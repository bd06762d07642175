using System.Globalization;
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
public sealed class ClusterProcessTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);

    /// <summary>A small model on the built-in corpus: trains to ~1.1 nats/char in 300 sync updates. Its
    /// 18383 parameters are more than one 16384-float part, so tensors cross the wire in two parts.</summary>
    private static readonly string[] Small =
        ["--hidden", "96", "--batch", "8", "--chunk", "25", "--lr", "0.01", "--eval-every", "100", "--progress", "off", "--sample", "0"];

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"at-cluster-{Guid.NewGuid():N}");

    public ClusterProcessTests() => Directory.CreateDirectory(_root);

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

    private static List<string[]> Rows(string csv) => CsvReader.ReadAll(csv).Skip(1).Where(r => r.Length > 1).ToList();

    [Fact]
    public async Task One_ps_and_two_worker_processes_train_below_the_loss_threshold_and_exit_cleanly()
    {
        int port = TestNodes.FreePort();
        string run = Path.Combine(_root, "cluster");
        // The first worker starts before any ps node exists: it waits and joins when the ps appears.
        await using var early = TestNodes.Start("worker-early", Node("worker", port, "--workers-per-node", "1"));
        await Task.Delay(TimeSpan.FromSeconds(1));
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
    public async Task A_worker_killed_mid_run_hands_its_streams_to_the_other_and_the_run_completes()
    {
        const int updates = 1500;
        int port = TestNodes.FreePort();
        string run = Path.Combine(_root, "killed");
        await using var ps = TestNodes.Start("ps", Node("ps", port, With(Small, "--eval-every", "500"),
            ["--port", $"{port}", "--workers", "2", "--updates", $"{updates}", "--out", run]));
        await using var survivor = TestNodes.Start("survivor", Node("worker", port, "--workers-per-node", "1"));
        await using var victim = TestNodes.Start("victim", Node("worker", port, "--workers-per-node", "1"));

        // Let training run on both, then SIGKILL one worker process: it never says goodbye.
        string metricsPath = Path.Combine(run, "metrics.csv");
        using (var wait = new CancellationTokenSource(RunTimeout))
            while (!File.Exists(metricsPath) || File.ReadLines(metricsPath).Count() < 101)
            {
                Assert.False(ps.HasExited, ps.Describe());
                await Task.Delay(50, wait.Token);
            }
        string victimAddress = victim.Address ?? throw new InvalidOperationException(victim.Describe());
        string survivorAddress = survivor.Address ?? throw new InvalidOperationException(survivor.Describe());
        victim.Kill();

        Assert.True(await ps.ExitCodeAsync(RunTimeout) == 0, ps.Describe());
        Assert.True(await survivor.ExitCodeAsync(RunTimeout) == 0, survivor.Describe());
        Assert.Contains($"worker node {victimAddress} dropped", ps.Stderr);
        Assert.Contains($"→ {survivorAddress} (from {victimAddress})", ps.Stderr);

        // Every applied update is one metrics row, in order, and the checkpoint agrees.
        var metrics = Rows(metricsPath);
        Assert.Equal(updates, metrics.Count);
        Assert.Equal(Enumerable.Range(1, updates).Select(i => i.ToString(CultureInfo.InvariantCulture)), metrics.Select(r => r[0]));
        Assert.Contains($"trained {updates} updates", ps.Stdout);
        Assert.Equal($"{updates}", SafetensorsFile.Read(Path.Combine(run, "state.safetensors")).Metadata["updates"]);

        // The victim's slot went on from where the server last heard of it: its chunk ids continue.
        int moved = metrics.FindIndex(r => r[2] is "0" or "1"); // the first update without the victim's slot
        Assert.True(moved > 0, "no update was applied while one slot was missing");
        int gone = metrics[moved][2] == "0" ? 1 : 0;
        long lastBefore = metrics.Take(moved).Max(r => Chunk(r, gone));
        var after = metrics.Skip(moved).Where(r => r[2] == "0;1").ToList();
        Assert.NotEmpty(after);
        Assert.True(Chunk(after[0], gone) == lastBefore + 1, $"slot {gone} resumed at chunk {Chunk(after[0], gone)}, last applied before was {lastBefore}");
    }

    /// <summary>Chunk id of slot <paramref name="slot"/> in a "0;1" row (parallel ';'-lists of workers and chunks).</summary>
    private static long Chunk(string[] row, int slot)
    {
        var workers = row[2].Split(';');
        int i = Array.IndexOf(workers, slot.ToString(CultureInfo.InvariantCulture));
        return i < 0 ? -1 : long.Parse(row[3].Split(';')[i], CultureInfo.InvariantCulture);
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
