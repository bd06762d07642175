using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// What the tests of real clusters share: separate `actortrainer node` processes on the loopback, each
/// test on its own free ports and temp directory, a small model, bounded waits. Timeouts only guard
/// against hangs; nothing here asserts speed.
/// </summary>
public abstract class ClusterRunTests : IDisposable
{
    protected static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);

    /// <summary>A small model on the built-in corpus: trains to ~1.1 nats/char in 300 sync updates. Its
    /// 18383 parameters are more than one 16384-float part, so tensors cross the wire in two parts.</summary>
    protected static readonly string[] Small =
        ["--hidden", "96", "--batch", "8", "--chunk", "25", "--lr", "0.01", "--eval-every", "100", "--progress", "off", "--sample", "0"];

    /// <summary>The test's own directory, deleted after it.</summary>
    protected string Root { get; } = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"at-cluster-{Guid.NewGuid():N}")).FullName;

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    protected static string[] Node(string role, int seedPort, params string[] more) => Node(role, seedPort, Small, more);

    protected static string[] Node(string role, int seedPort, string[] training, string[] more) =>
        ["--role", role, "--config", TestNodes.LocalConf, "--seeds", $"127.0.0.1:{seedPort}", "--join-timeout", "60s", .. training, .. more];

    /// <summary><paramref name="args"/> with the value of <paramref name="flag"/> replaced.</summary>
    protected static string[] With(string[] args, string flag, string value)
    {
        var copy = args.ToArray();
        copy[Array.IndexOf(copy, flag) + 1] = value;
        return copy;
    }

    /// <summary>Waits (at most RunTimeout, polling every 20 ms) until <paramref name="condition"/> holds;
    /// fails at once with its output if one of <paramref name="alive"/> exits first.</summary>
    protected static async Task WaitUntilAsync(Func<bool> condition, params NodeProcess[] alive)
    {
        using var wait = new CancellationTokenSource(RunTimeout);
        while (!condition())
        {
            foreach (var node in alive) Assert.False(node.HasExited, node.Describe());
            await Task.Delay(20, wait.Token);
        }
    }

    /// <summary>A run target no disturbed run reaches: a test that kills a node mid-run ends the run itself with
    /// <see cref="StopRunAsync"/>, because a fixed length could end before the kill on a busy machine.</summary>
    protected const int Endless = 1_000_000;

    /// <summary>Once metrics.csv has more than <paramref name="rows"/> rows, asks <paramref name="server"/> to stop the
    /// run (SIGTERM: a stop request, not a death), waits for its exit 0 and returns the update of its final checkpoint.</summary>
    protected static async Task<int> StopRunAsync(NodeProcess server, string run, int rows, params NodeProcess[] alive)
    {
        string metricsPath = Path.Combine(run, "metrics.csv");
        await WaitUntilAsync(() => MetricsLines(metricsPath) > rows + 1, [server, .. alive]);
        server.Terminate();
        Assert.True(await server.ExitCodeAsync(RunTimeout) == 0, server.Describe());
        return int.Parse(SafetensorsFile.Read(Path.Combine(run, "state.safetensors")).Metadata["updates"], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Lines of metrics.csv so far, header included (0 before it exists).</summary>
    protected static int MetricsLines(string path) => File.Exists(path) ? File.ReadLines(path).Count() : 0;

    protected static List<string[]> Rows(string csv) => CsvReader.ReadAll(csv).Skip(1).Where(r => r.Length > 1).ToList();

    /// <summary>metrics.csv holds one row per update, 1 … <paramref name="updates"/> (rows a dead server logged
    /// after its checkpoint were dropped and logged again), and its ledger applies every (slot, chunk) once.</summary>
    protected static List<string[]> AssertOneRowPerUpdateAndEveryChunkOnce(string metricsPath, int updates)
    {
        var metrics = Rows(metricsPath);
        Assert.Equal(Enumerable.Range(1, updates).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), metrics.Select(r => r[0]));
        var ledger = DataLedger.Read(metricsPath);
        Assert.True(ledger.IsExact, ledger.ToString());
        return metrics;
    }

    /// <summary>The same run in this process, two workers to <paramref name="updates"/>, ends with the cluster
    /// run's model and state, bit for bit.</summary>
    protected async Task AssertSameAsInProcessAsync(string[] training, int updates, string run)
    {
        string inProcess = Path.Combine(Root, "inproc");
        Assert.Equal(0, await ActorTrainer.Cli.Cli.RunAsync(["train", .. training, "--workers", "2", "--updates", $"{updates}", "--out", inProcess],
            new StringWriter(), new StringWriter()));
        AssertSameCheckpoint(inProcess, run);
    }

    /// <summary>model.safetensors and state.safetensors of two runs hold the same tensors, bit for bit.</summary>
    protected static void AssertSameCheckpoint(string expectedRun, string actualRun)
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
}
