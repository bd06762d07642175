using System.Globalization;
using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Tests.Training;

public sealed class TrainCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "at-train-" + Guid.NewGuid().ToString("N"));

    public TrainCommandTests() => Directory.CreateDirectory(_root);
    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private static readonly string[] Small =
        ["train", "--hidden", "32", "--batch", "4", "--chunk", "10", "--workers", "2", "--progress", "off", "--sample", "40"];

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = await Cli.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private string Dir(string name) => Path.Combine(_root, name);

    private static List<string[]> Rows(string path) => CsvReader.ReadAll(path).Skip(1).Where(r => r.Length > 1).ToList();

    [Fact]
    public async Task In_process_run_lowers_validation_loss_and_writes_every_output()
    {
        var (code, stdout, err) = await Run([.. Small, "--updates", "240", "--eval-every", "40", "--out", Dir("a")]);
        Assert.True(code == 0, err);
        Assert.Contains("--- sample ---", stdout);
        var header = CsvReader.ReadAll(Path.Combine(Dir("a"), "metrics.csv"))[0];
        foreach (var col in new[] { "update", "version", "worker", "loss", "grad_norm", "clipped", "staleness", "elapsed_s" })
            Assert.Contains(col, header);
        var metrics = Rows(Path.Combine(Dir("a"), "metrics.csv"));
        Assert.Equal(240, metrics.Count);
        Assert.Equal(Enumerable.Range(1, 240).Select(i => i.ToString(CultureInfo.InvariantCulture)), metrics.Select(r => r[0]));
        var val = Rows(Path.Combine(Dir("a"), "validation.csv")).Select(r => double.Parse(r[2], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(6, val.Count);
        Assert.True(val[^1] < val[0] - 0.5, $"validation loss went {val[0]:F3} → {val[^1]:F3}");
        CliHarness.AssertPng(Path.Combine(Dir("a"), "loss.png"));
        var model = SafetensorsFile.Read(Path.Combine(Dir("a"), "model.safetensors"));
        Assert.Equal(new[] { "W_xh", "W_hh", "b_h", "W_hy", "b_y" }, model.Tensors.Select(t => t.Name));
        Assert.Equal(new[] { 32, 32 }, model["W_hh"].Shape);
        Assert.True(model.Metadata.ContainsKey("vocabulary"));
    }

    [Fact]
    public async Task Sync_runs_with_the_same_seed_write_identical_metrics()
    {
        string[] args = [.. Small, "--updates", "60", "--eval-every", "30", "--seed", "7"];
        Assert.Equal(0, (await Run([.. args, "--out", Dir("x")])).Code);
        Assert.Equal(0, (await Run([.. args, "--out", Dir("y")])).Code);
        static IEnumerable<string> WithoutTime(string p) => Rows(p).Select(r => string.Join(",", r[..^1]));
        Assert.Equal(WithoutTime(Path.Combine(Dir("x"), "metrics.csv")), WithoutTime(Path.Combine(Dir("y"), "metrics.csv")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Dir("x"), "model.safetensors")), File.ReadAllBytes(Path.Combine(Dir("y"), "model.safetensors")));
    }

    [Fact]
    public async Task Resumed_run_continues_exactly_where_an_uninterrupted_run_goes()
    {
        string[] args = [.. Small, "--eval-every", "20", "--checkpoint-every", "20", "--optimizer", "adam"];
        Assert.Equal(0, (await Run([.. args, "--updates", "60", "--out", Dir("full")])).Code);
        Assert.Equal(0, (await Run([.. args, "--updates", "40", "--out", Dir("part")])).Code);
        var (code, _, err) = await Run("train", "--resume", Dir("part"), "--updates", "60", "--eval-every", "20", "--progress", "off", "--sample", "0");
        Assert.True(code == 0, err);
        static IEnumerable<string> WithoutTime(string p) => Rows(p).Select(r => string.Join(",", r[..^1]));
        Assert.Equal(WithoutTime(Path.Combine(Dir("full"), "metrics.csv")), WithoutTime(Path.Combine(Dir("part"), "metrics.csv")));
        Assert.Equal(SafetensorsFile.Read(Path.Combine(Dir("full"), "model.safetensors"))["W_hh"].Data,
                     SafetensorsFile.Read(Path.Combine(Dir("part"), "model.safetensors"))["W_hh"].Data);
    }

    [Fact]
    public async Task Out_directory_that_is_not_empty_is_refused_and_left_untouched()
    {
        Directory.CreateDirectory(Dir("busy"));
        File.WriteAllText(Path.Combine(Dir("busy"), "notes.txt"), "mine");
        var (code, _, err) = await Run([.. Small, "--updates", "5", "--out", Dir("busy")]);
        Assert.Equal(2, code);
        Assert.Contains("not empty", err);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(Dir("busy")).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("empty")]
    [InlineData("directory")]
    public async Task Bad_corpus_is_a_clear_error_and_creates_no_run(string kind)
    {
        string corpus = Dir("corpus.txt");
        if (kind == "empty") File.WriteAllText(corpus, "");
        if (kind == "directory") Directory.CreateDirectory(corpus);
        var (code, _, err) = await Run([.. Small, "--corpus", corpus, "--out", Dir("never")]);
        Assert.Equal(2, code);
        Assert.StartsWith("error:", err);
        Assert.DoesNotContain("   at ", err);
        Assert.False(Directory.Exists(Dir("never")));
    }

    [Fact]
    public async Task Corpus_too_short_for_the_streams_names_the_numbers()
    {
        File.WriteAllText(Dir("short.txt"), new string('a', 50) + "b");
        var (code, _, err) = await Run([.. Small, "--corpus", Dir("short.txt"), "--out", Dir("never")]);
        Assert.Equal(2, code);
        Assert.Contains("fewer than", err);
    }

    [Fact]
    public async Task Init_checkpoint_of_another_shape_is_rejected()
    {
        Assert.Equal(0, (await Run([.. Small, "--updates", "2", "--out", Dir("h32")])).Code);
        string ckpt = Path.Combine(Dir("h32"), "model.safetensors");
        var before = File.ReadAllBytes(ckpt);
        string[] h48 = [.. Small]; h48[Array.IndexOf(h48, "32")] = "48";
        var (code, _, err) = await Run([.. h48, "--updates", "2", "--init", ckpt, "--out", Dir("h48")]);
        Assert.Equal(2, code);
        Assert.Contains("H=32", err);
        Assert.False(Directory.Exists(Dir("h48")));
        Assert.Equal(before, File.ReadAllBytes(ckpt));
    }

    [Fact]
    public async Task Resume_of_a_directory_that_is_not_a_run_is_refused()
    {
        Directory.CreateDirectory(Dir("plain"));
        var (code, _, err) = await Run("train", "--resume", Dir("plain"), "--progress", "off");
        Assert.Equal(2, code);
        Assert.Contains("not a run directory", err);
        Assert.Empty(Directory.GetFileSystemEntries(Dir("plain")));
    }

    [Theory]
    [InlineData("--mode", "eventual")]
    [InlineData("--truncation", "sometimes")]
    [InlineData("--optimizer", "lion")]
    [InlineData("--activation", "gelu")]
    public async Task Unknown_option_values_exit_with_a_message(string flag, string value)
    {
        var (code, _, err) = await Run([.. Small, flag, value]);
        Assert.Equal(2, code);
        Assert.Contains(value, err);
    }

    [Fact]
    public async Task A_stop_request_ends_the_run_with_a_checkpoint_and_exit_130()
    {
        using var stop = new CancellationTokenSource();
        stop.Cancel(); // Ctrl-C, delivered as the command's stop token, before the first update
        var o = new StringWriter(); var e = new StringWriter();
        int code = await Cli.RunAsync([.. Small, "--updates", "100", "--out", Dir("stopped")], o, e, stop.Token);
        Assert.True(code == 130, $"exit {code}: {e}");
        Assert.True(File.Exists(Path.Combine(Dir("stopped"), "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(Dir("stopped"), "state.safetensors")));
        Assert.Contains($"stopped early; continue with: actortrainer train --resume {Dir("stopped")}", o.ToString());

        // what it wrote is a checkpoint a run continues from
        var (resumed, stdout, err) = await Run("train", "--resume", Dir("stopped"), "--updates", "20", "--progress", "off", "--sample", "0");
        Assert.True(resumed == 0, err);
        Assert.Contains("trained 20 updates", stdout);
    }
}
