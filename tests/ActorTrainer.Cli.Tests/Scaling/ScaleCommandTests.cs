using System.Globalization;
using ActorTrainer.Cli.Scaling;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Tests.Scaling;

/// <summary>A tiny real sweep (seconds) through the command line, checked by the contents of what it writes.</summary>
public sealed class ScaleCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "at-scale-" + Guid.NewGuid().ToString("N"));

    public ScaleCommandTests() => Directory.CreateDirectory(_root);
    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private static readonly string[] Tiny =
    [
        "scale", "--hidden", "8", "--batch", "2", "--chunk", "5", "--workers", "1,2", "--modes", "sync,async,ssp:1", "--shards", "1,2",
        "--budget", "1500", "--points", "3", "--val-tokens", "400", "--capacity-seconds", "0.02", "--progress", "off",
    ];

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = await Cli.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static double D(string s) => SweepOutputs.D(s);

    [Fact]
    public async Task A_sweep_with_local_steps_and_top_k_counts_every_chunk_of_a_push_toward_the_budget()
    {
        string dir = Path.Combine(_root, "reduced");
        var (code, _, err) = await Run("scale", "--hidden", "8", "--batch", "2", "--chunk", "5", "--workers", "1,2", "--modes", "sync,async",
            "--shards", "1", "--local-steps", "3", "--push-encoding", "topk:0.25:4", "--budget", "900", "--points", "3", "--val-tokens", "400",
            "--capacity-seconds", "0", "--progress", "off", "--out", dir);
        Assert.True(code == 0, err);
        var rows = SweepOutputs.Results(dir);
        Assert.Equal(4, rows.Count);
        foreach (var r in rows)
        {
            // an update is one push per worker (sync) or one push (async), and a push covers 3 chunks of B·k = 10 tokens
            double perUpdate = 3 * 10 * (r["mode"] == "sync" ? D(r["workers"]) : 1);
            Assert.True(D(r["tokens"]) >= 900, $"{r["config"]} stopped at {r["tokens"]} tokens");
            Assert.Equal(Math.Ceiling(900 / perUpdate), D(r["updates"]));
            Assert.True(double.IsFinite(D(r["final_val_loss"])), r["config"]);
        }
        SweepOutputs.CurvesStartAtW0AndEndAtTheFinalLoss(dir, rows);
        Assert.Contains("pushes `topk:0.25:4`, weights `fp32`, local steps 3", File.ReadAllText(Path.Combine(dir, ScaleReport.Summary)));
    }

    [Theory]
    [InlineData("--shards", "1,2", "need one server shard (--shards 1; got 1,2)")]
    [InlineData("--launcher", "sim", "--launcher sim models pushes of one chunk's gradient")]
    public async Task Local_steps_are_refused_where_a_sweep_cannot_run_them(string flag, string value, string expected)
    {
        string[] shards = flag == "--shards" ? [] : ["--shards", "1"];
        var (code, _, err) = await Run(["scale", "--hidden", "8", "--workers", "1", "--local-steps", "2", .. shards, flag, value, "--out", Path.Combine(_root, "refused")]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.False(Directory.Exists(Path.Combine(_root, "refused")));
    }

    [Fact]
    public async Task Tiny_sweep_writes_every_output_with_consistent_contents()
    {
        string dir = Path.Combine(_root, "sweep");
        var (code, stdout, err) = await Run([.. Tiny, "--out", dir]);
        Assert.True(code == 0, err);

        // results.csv: every column, one row per configuration (2 workers × 3 modes × 2 shards)
        var rows = SweepOutputs.Results(dir);
        Assert.Equal(12, rows.Count);
        foreach (var r in rows)
        {
            // unsharded runs reach the budget; sharded ones end when the first shard does, and tokens are shard 0's
            if (r["shards"] == "1") Assert.True(D(r["tokens"]) >= 1500, $"{r["config"]} stopped at {r["tokens"]} tokens");
            Assert.True(D(r["tokens"]) > 0, r["config"]);
            Assert.Equal(D(r["tokens"]) / D(r["wall_s"]), D(r["tokens_per_s"]), 6);
            Assert.True(D(r["bytes_sent"]) > 0 && D(r["bytes_received"]) > 0, r["config"]);
            Assert.InRange(D(r["server_busy"]), 0, 1);
            Assert.InRange(D(r["worker_idle"]), 0, 1);
            Assert.True(double.IsFinite(D(r["final_val_loss"])), r["config"]);
            Assert.True(D(r["staleness_p50"]) <= D(r["staleness_p99"]) && D(r["staleness_p99"]) <= D(r["staleness_max"]), r["config"]);
            if (r["mode"] == "sync") Assert.Equal("0", r["staleness_max"]);           // a sync round takes only current gradients
            if (r["mode"] == "ssp") Assert.True(D(r["staleness_max"]) <= 1, r["config"]); // the bound s = 1 holds
        }

        // efficiency = throughput_n / (n · throughput_1), from the measured throughputs of the same group
        foreach (var r in rows)
        {
            var one = rows.Single(o => o["workers"] == "1" && o["mode"] == r["mode"] && o["staleness_bound"] == r["staleness_bound"]
                                       && o["chunk"] == r["chunk"] && o["shards"] == r["shards"]);
            double n = D(r["workers"]), expected = D(r["tokens_per_s"]) / (n * D(one["tokens_per_s"]));
            Assert.Equal(expected, D(r["efficiency"]), 9);
            Assert.Equal(expected * n, D(r["speedup"]), 9);
            Assert.Equal(D(r["tokens_per_s"]) / (Math.Min(n, Environment.ProcessorCount) * D(one["tokens_per_s"])), D(r["core_efficiency"]), 9);
        }

        SweepOutputs.CurvesStartAtW0AndEndAtTheFinalLoss(dir, rows);
        SweepOutputs.PlotsAreNonTrivialPngs(dir);

        // summary: machine, the table, how to read efficiency past the core count, the capacity
        string summary = File.ReadAllText(Path.Combine(dir, ScaleReport.Summary));
        Assert.Contains($"{Environment.ProcessorCount} cores", summary);
        Assert.Contains("efficiency past n", summary);
        Assert.Contains("Server capacity", summary);
        Assert.Equal(12, summary.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) && l.Contains(" n=")));
        Assert.Contains("| sync k=5 shards=2 n=2 |", stdout);
    }

    [Fact]
    public async Task Target_mode_stops_a_configuration_when_the_validation_loss_reaches_the_target()
    {
        string dir = Path.Combine(_root, "target");
        var (code, _, err) = await Run("scale", "--hidden", "8", "--batch", "2", "--chunk", "5", "--workers", "1", "--modes", "async", "--shards", "1",
            "--until", "target", "--target", "100", "--budget", "100000", "--points", "50", "--val-tokens", "400", "--capacity-seconds", "0", "--progress", "off", "--out", dir);
        Assert.True(code == 0, err);
        var row = CsvReader.ReadAll(Path.Combine(dir, ScaleReport.ResultsCsv))[1];
        var r = ScaleReport.ResultColumns.Zip(row).ToDictionary(p => p.First, p => p.Second);
        Assert.Equal("target", r["completion"]);           // loss 100 is reached at the first validation
        Assert.True(D(r["tokens"]) < 100000, r["tokens"]);
        Assert.Equal("100", r["target_loss"]);
        Assert.NotEqual("", r["time_to_target_s"]);
    }

    [Fact]
    public async Task An_explicit_in_flight_limit_reaches_the_workers_and_the_report()
    {
        // A lone async worker with one push in flight always computes on the newest W: staleness 0
        // throughout (with async's default of two, it may compute during the round trip).
        string dir = Path.Combine(_root, "inflight");
        var (code, _, err) = await Run("scale", "--hidden", "8", "--batch", "2", "--chunk", "5", "--workers", "1", "--modes", "async", "--shards", "1",
            "--budget", "3000", "--points", "3", "--val-tokens", "400", "--capacity-seconds", "0", "--progress", "off", "--max-in-flight", "1", "--out", dir);
        Assert.True(code == 0, err);
        var r = SweepOutputs.Results(dir).Single();
        Assert.Equal("0", r["staleness_max"]);
        Assert.Contains("`--max-in-flight 1`", File.ReadAllText(Path.Combine(dir, ScaleReport.Summary)));
    }

    [Theory]
    [InlineData("--mode", "async", "--mode is a train option")]
    [InlineData("--modes", "sync,fast", "unknown mode 'fast'")]
    [InlineData("--workers", "1,0", "--workers: '0' is not a positive integer")]
    [InlineData("--workers", "2,2", "lists a count twice")]
    [InlineData("--until", "target", "--until target needs --target")]
    [InlineData("--budget", "lots", "--budget: 'lots' is not a valid number")]
    [InlineData("--hidden", "0", "--hidden must be a positive integer")]
    [InlineData("--frobnicate", "1", "unknown option --frobnicate")]
    public async Task Bad_options_are_one_line_errors(string flag, string value, string expected)
    {
        var (code, _, err) = await Run("scale", flag, value, "--out", Path.Combine(_root, "bad"));
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("   at ", err);
    }

    [Theory]
    [InlineData(new[] { "--launcher", "fast" }, "--launcher: unknown value 'fast' (expected inproc, cluster or sim)")]
    [InlineData(new[] { "--launcher", "cluster", "--shards", "1,2" }, "--launcher cluster runs one unsharded parameter server")]
    [InlineData(new[] { "--launcher", "cluster", "--until", "target", "--target", "2" }, "--until target needs --launcher inproc")]
    [InlineData(new[] { "--launcher", "cluster", "--stall-timeout", "0" }, "--stall-timeout must be a positive number of seconds")]
    public async Task Launcher_options_the_sweep_cannot_run_are_one_line_errors(string[] options, string expected)
    {
        string dir = Path.Combine(_root, "bad-launcher");
        var (code, _, err) = await Run(["scale", .. options, "--out", dir]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("   at ", err);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task A_non_empty_output_directory_is_refused()
    {
        string dir = Path.Combine(_root, "used");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "results.csv"), "x");
        var (code, _, err) = await Run([.. Tiny, "--out", dir]);
        Assert.Equal(2, code);
        Assert.Contains("is not empty", err);
    }
}
