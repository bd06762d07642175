using System.Globalization;
using ActorTrainer.Core.Reporting;
using ActorTrainer.Core.Tests.Reporting;

namespace ActorTrainer.Cli.Tests.Training;

/// <summary>The TensorBoard event file a run writes beside metrics.csv, read back and held against the CSVs.</summary>
public sealed class TensorBoardRunTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static float F(string s) => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>
    /// Checks a finished run's event file against its metrics.csv and validation.csv: the scalars per
    /// update and per validation hold the CSVs' values (as float, the type of a TensorBoard scalar),
    /// and the staleness histograms together count every update by its staleness. Returns the events.
    /// </summary>
    internal static List<TensorBoardReader.Event> AssertEventsMatchMetrics(string run, float learningRate)
    {
        var files = Directory.GetFiles(run, TensorBoardWriter.FilePrefix + "*");
        string file = Assert.Single(files);
        var events = TensorBoardReader.Read(file);           // checks every record's length, data and both CRCs
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        var scalars = events.SelectMany(e => e.Values.Where(v => v.Simple is not null).Select(v => (e.Step, v.Tag, Value: v.Simple!.Value))).ToList();
        List<(long Step, float Value)> Series(string tag) => scalars.Where(s => s.Tag == tag).Select(s => (s.Step, s.Value)).ToList();

        var metrics = CsvReader.ReadAll(Path.Combine(run, "metrics.csv")).Skip(1).Where(r => r.Length > 1).ToList();
        List<(long, float)> Column(int i) => metrics.Select(r => (long.Parse(r[0], CultureInfo.InvariantCulture), F(r[i]))).ToList();
        Assert.Equal(Column(4), Series("loss/train"));
        Assert.Equal(Column(5), Series("grad_norm/pre_clip"));
        Assert.Equal(Column(7), Series("staleness/update"));

        var validation = CsvReader.ReadAll(Path.Combine(run, "validation.csv")).Skip(1).Where(r => r.Length > 1).ToList();
        Assert.NotEmpty(validation);
        Assert.Equal(validation.Select(r => (long.Parse(r[0], CultureInfo.InvariantCulture), F(r[2]))), Series("loss/validation"));

        var rate = Series("throughput/tokens_per_s");
        Assert.NotEmpty(rate);
        Assert.All(rate, r => Assert.True(r.Value > 0 && float.IsFinite(r.Value), $"tokens/s {r.Value} at {r.Step}"));
        Assert.All(Series("optimizer/learning_rate"), r => Assert.Equal(learningRate, r.Value));
        Assert.NotEmpty(Series("optimizer/learning_rate"));

        var histograms = events.SelectMany(e => e.Values.Where(v => v.Tag == "staleness" && v.Histogram is not null).Select(v => v.Histogram!)).ToList();
        Assert.NotEmpty(histograms);
        var counted = new Dictionary<int, double>();
        foreach (var h in histograms)
            for (int i = 0; i < h.Buckets.Length; i++)
            {
                int s = (int)(h.Limits[i] - 0.5);                         // the bucket of staleness s ends at s + ½
                Assert.Equal(s + 0.5, h.Limits[i]);
                Assert.Equal(h.Min + i, s);                               // one bucket per integer from the smallest
                counted[s] = counted.GetValueOrDefault(s) + h.Buckets[i];
            }
        var expected = metrics.GroupBy(r => int.Parse(r[7], CultureInfo.InvariantCulture)).ToDictionary(g => g.Key, g => (double)g.Count());
        Assert.Equal(expected.OrderBy(kv => kv.Key), counted.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key));
        return events;
    }

    [Fact]
    public void An_async_train_run_writes_an_event_file_that_matches_its_csvs()
    {
        string run = _dir.File("run");
        var r = CliHarness.Run("train", "--hidden", "16", "--batch", "2", "--chunk", "8", "--workers", "2", "--mode", "async",
            "--updates", "40", "--eval-every", "10", "--lr", "0.005", "--progress", "off", "--sample", "0", "--out", run);
        Assert.True(r.ExitCode == 0, r.Err);
        var events = AssertEventsMatchMetrics(run, 0.005f);
        // One window per validation (every 10 updates): a histogram and a tokens/s at updates 10, 20, 30, 40.
        Assert.Equal(new long[] { 10, 20, 30, 40 }, events.Where(e => e.Values.Any(v => v.Tag == "staleness")).Select(e => e.Step));
    }
}
