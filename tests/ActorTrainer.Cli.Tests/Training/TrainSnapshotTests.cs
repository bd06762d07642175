using ActorTrainer.Cli.Settings;
using System.Globalization;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Reporting;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Tests.Training;

/// <summary>
/// `train` keeps one actor tree for the whole run: evaluations and checkpoints are snapshots taken while the
/// workers go on, so no chunk is lost at them, and a run stopped early resumes at the chunk after the last
/// one its checkpoint counts, in every mode. Shown by the chunk ids in metrics.csv: each worker's are
/// consecutive (chunk ids count a worker's chunks; one that was computed but never applied would leave a gap).
/// </summary>
public sealed class TrainSnapshotTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "at-snap-" + Guid.NewGuid().ToString("N"));

    public TrainSnapshotTests() => Directory.CreateDirectory(_root);
    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private string Dir(string name) => Path.Combine(_root, name);

    private static List<string[]> Rows(string path) => CsvReader.ReadAll(path).Skip(1).Where(r => r.Length > 1).ToList();

    /// <summary>Each worker's chunk ids, in the order metrics.csv applied them (columns worker and chunk, ';'-separated).</summary>
    private static Dictionary<int, List<long>> ChunksByWorker(string runDir)
    {
        var byWorker = new Dictionary<int, List<long>>();
        foreach (var r in Rows(Path.Combine(runDir, "metrics.csv")))
            foreach (var (w, c) in r[2].Split(';').Zip(r[3].Split(';')))
            {
                int worker = int.Parse(w, CultureInfo.InvariantCulture);
                if (!byWorker.TryGetValue(worker, out var list)) byWorker[worker] = list = new();
                list.Add(long.Parse(c, CultureInfo.InvariantCulture));
            }
        return byWorker;
    }

    /// <summary>Each worker's chunk ids follow one another (a worker starved by a loaded host may have none in async).</summary>
    private static void AssertConsecutive(Dictionary<int, List<long>> byWorker)
    {
        Assert.NotEmpty(byWorker);
        foreach (var (worker, chunks) in byWorker)
            for (int i = 1; i < chunks.Count; i++)
                Assert.True(chunks[i] == chunks[i - 1] + 1,
                    $"worker {worker}: chunk {chunks[i]} follows chunk {chunks[i - 1]} (update row {i})");
    }

    [Fact]
    public async Task Async_run_loses_no_chunk_at_evaluation_boundaries()
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = await Cli.RunAsync(["train", "--hidden", "16", "--batch", "2", "--chunk", "8", "--workers", "2", "--mode", "async",
            "--updates", "150", "--eval-every", "50", "--checkpoint-every", "50", "--progress", "off", "--sample", "0", "--out", Dir("a")], o, e);
        Assert.True(code == 0, e.ToString());
        Assert.Equal(["50", "100", "150"], Rows(Path.Combine(Dir("a"), "validation.csv")).Select(r => r[0]));
        AssertConsecutive(ChunksByWorker(Dir("a")));
    }

    /// <summary>Stops the run (as Ctrl-C does) when the progress line of update 1 is printed.</summary>
    private sealed class StopAtFirstUpdate(CancellationTokenSource cts) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.StartsWith("update ", StringComparison.Ordinal) == true) cts.Cancel();
        }
    }

    [Theory]
    [InlineData(ConsistencyMode.Sync)]
    [InlineData(ConsistencyMode.Async)]
    [InlineData(ConsistencyMode.Ssp)]   // with a bound no gradient exceeds: a refused chunk would be a gap by design
    public async Task Run_stopped_early_resumes_at_the_next_chunk_of_every_worker(ConsistencyMode mode)
    {
        using var cts = new CancellationTokenSource();
        var settings = TrainSettingsLoader.Defaults with
        {
            Hidden = 16, Batch = 2, Chunk = 8, Workers = 2, Mode = mode, Staleness = 1000, Updates = 100_000,
            EvalEvery = 0, CheckpointEvery = 0, SampleLength = 0, Progress = true, Out = Dir(mode.ToString()),
        };
        int code = await new TrainJob(new StringWriter(), new StopAtFirstUpdate(cts)).RunAsync(settings, cts.Token);
        Assert.Equal(ActorTrainer.Cli.CommandLine.ExitCodes.Interrupted, code); // stopped, as Ctrl-C does
        int before = Rows(Path.Combine(Dir(mode.ToString()), "metrics.csv")).Count;
        Assert.InRange(before, 1, 99_999);

        var e = new StringWriter();
        string total = (before + 20).ToString(CultureInfo.InvariantCulture);
        code = await Cli.RunAsync(["train", "--resume", Dir(mode.ToString()), "--updates", total, "--progress", "off", "--sample", "0"], new StringWriter(), e);
        Assert.True(code == 0, e.ToString());
        Assert.Equal(before + 20, Rows(Path.Combine(Dir(mode.ToString()), "metrics.csv")).Count);
        AssertConsecutive(ChunksByWorker(Dir(mode.ToString())));
    }
}
