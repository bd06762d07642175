using ActorTrainer.Cli.Scaling;
using ActorTrainer.Cli.Scaling.Simulation;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Tests.Scaling;

/// <summary>`scale --launcher sim` through the command line: a tiny simulated sweep, checked by what it writes.</summary>
public sealed class ScaleSimTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "at-scale-sim-" + Guid.NewGuid().ToString("N"));

    public ScaleSimTests() => Directory.CreateDirectory(_root);
    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    /// <summary>Chunk and update costs given, push and sum measured.</summary>
    private static readonly string[] Tiny =
    [
        "scale", "--launcher", "sim", "--hidden", "8", "--batch", "2", "--chunk", "5", "--workers", "1,4", "--modes", "sync,async,ssp:1", "--shards", "1,2",
        "--budget", "1500", "--points", "3", "--val-tokens", "400", "--capacity-seconds", "0", "--progress", "off",
        "--sim-chunk-seconds", "0.001", "--sim-update-seconds", "0.0002",
    ];

    /// <summary>Every cost given: nothing measured, so two runs must agree exactly.</summary>
    private static readonly string[] Given = ["--sim-push-seconds", "0.00001", "--sim-sum-seconds", "0.00005", "--sim-jitter", "0.3"];

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = await Cli.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static double D(string s) => SweepOutputs.D(s);

    private static List<Dictionary<string, string>> Rows(string path)
    {
        var all = CsvReader.ReadAll(path).Where(r => r.Length > 1).ToList();
        return all.Skip(1).Select(r => all[0].Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
    }

    [Fact]
    public async Task A_simulated_sweep_writes_the_usual_outputs_and_every_cost_with_its_source_and_each_workers_idle()
    {
        string dir = Path.Combine(_root, "sweep");
        var (code, stdout, err) = await Run([.. Tiny, "--sim-stragglers", "1:4", "--out", dir]);
        Assert.True(code == 0, err);

        var rows = SweepOutputs.Results(dir);
        Assert.Equal(12, rows.Count);
        foreach (var r in rows)
        {
            if (r["shards"] == "1") Assert.True(D(r["tokens"]) >= 1500, r["config"]);
            Assert.Equal(D(r["tokens"]) / D(r["wall_s"]), D(r["tokens_per_s"]), 6);
            Assert.InRange(D(r["server_busy"]), 0, 1);
            Assert.True(D(r["staleness_p50"]) <= D(r["staleness_p99"]) && D(r["staleness_p99"]) <= D(r["staleness_max"]), r["config"]);
            if (r["mode"] == "sync") Assert.Equal("0", r["staleness_max"]);
            if (r["mode"] == "ssp") Assert.True(D(r["staleness_max"]) <= 1, r["config"]);
            Assert.Equal(D(r["efficiency"]), D(r["core_efficiency"]), 12); // simulated workers each have a core
        }
        SweepOutputs.CurvesStartAtW0AndEndAtTheFinalLoss(dir, rows);
        SweepOutputs.PlotsAreNonTrivialPngs(dir);

        // every cost of every configuration, with where it came from: given ones say so, measured ones how
        var costs = Rows(Path.Combine(dir, SimReport.CostsCsv));
        foreach (var r in rows)
        {
            var mine = costs.Where(c => c["config"] == r["config"]).ToDictionary(c => c["cost"]);
            Assert.Equal(["chunk", "push", "update", "sum", "network", "stragglers", "jitter", "cores"], mine.Keys);
            Assert.Equal(0.001, D(mine["chunk"]["seconds"]), 12);
            Assert.StartsWith("given", mine["chunk"]["source"]);
            Assert.StartsWith("given", mine["update"]["source"]);
            // scaled to the (larger) shard slice: half of P, within one parameter of 871
            Assert.Equal(0.0002 / double.Parse(r["shards"]), D(mine["update"]["seconds"]), 6);
            Assert.StartsWith("measured", mine["push"]["source"]);
            Assert.StartsWith("measured", mine["sum"]["source"]);
            Assert.Contains("ParameterServerState", mine["sum"]["source"]);
            Assert.Contains("1 worker(s) ×4 slower", mine["stragglers"]["source"]);
        }

        // each worker's idle fraction is 1 − its compute ÷ the run's time; in sync the slow worker (the last id) waits least
        var workers = Rows(Path.Combine(dir, SimReport.WorkersCsv));
        foreach (var r in rows)
        {
            var mine = workers.Where(w => w["config"] == r["config"]).ToList();
            Assert.Equal(int.Parse(r["workers"]), mine.Count);
            foreach (var w in mine)
                Assert.Equal(Math.Clamp(1 - D(w["compute_s"]) / D(w["wall_s"]), 0, 1), D(w["idle"]), 9);
            Assert.Equal(mine.Average(w => D(w["idle"])), D(r["worker_idle"]), 9);
            Assert.Equal(mine.Count - 1, mine.FindIndex(w => w["straggler"] == "1"));
            if (r["mode"] == "sync" && mine.Count > 1)
                Assert.True(mine.Take(mine.Count - 1).All(w => D(w["idle"]) > D(mine[^1]["idle"]) + 0.5), r["config"]); // ×4 slower: the others wait ≥ 3/4 of a round
        }

        // the summary: simulated, the costs' sources, and the stragglers' cost (each configuration again without them)
        string summary = File.ReadAllText(Path.Combine(dir, ScaleReport.Summary));
        Assert.Contains("**Simulated.**", summary);
        Assert.Contains("Where each cost came from", summary);
        Assert.Contains("**Cost of the stragglers**", summary);
        Assert.DoesNotContain("cores: ideal capped", summary);
        Assert.True(File.Exists(Path.Combine(dir, SimReport.StragglerPng)));
        Assert.Contains("| sync k=5 shards=2 n=4 |", stdout);
    }

    [Fact]
    public async Task With_every_cost_given_a_simulated_sweep_repeats_exactly()
    {
        string a = Path.Combine(_root, "a"), b = Path.Combine(_root, "b");
        string[] args = [.. Tiny, .. Given, "--modes", "async,ssp:1", "--shards", "2"];
        foreach (string dir in new[] { a, b })
        {
            var (code, _, err) = await Run([.. args.Where((x, i) => !IsReplaced(args, i)), "--out", dir]);
            Assert.True(code == 0, err);
        }
        // everything but the simulator's own garbage collections
        static IEnumerable<string> Figures(string dir) => SweepOutputs.Results(dir).Select(r => string.Join(",", r.Where(p => p.Key != "gc_gen2").Select(p => p.Value)));
        Assert.Equal(Figures(a), Figures(b));
        Assert.Equal(File.ReadAllText(Path.Combine(a, ScaleReport.CurvesCsv)), File.ReadAllText(Path.Combine(b, ScaleReport.CurvesCsv)));
        Assert.Equal(File.ReadAllText(Path.Combine(a, SimReport.WorkersCsv)), File.ReadAllText(Path.Combine(b, SimReport.WorkersCsv)));
    }

    /// <summary>Drops Tiny's --modes and --shards (and their values) where a test gives its own.</summary>
    private static bool IsReplaced(string[] args, int i)
    {
        int first = Array.IndexOf(args, "--modes"), shards = Array.IndexOf(args, "--shards");
        return i == first || i == first + 1 || i == shards || i == shards + 1;
    }

    [Theory]
    [InlineData(new[] { "--launcher", "sim", "--sim-stragglers", "1:0.5" }, "--sim-stragglers: '1:0.5' is not COUNT:FACTOR")]
    [InlineData(new[] { "--launcher", "sim", "--sim-stragglers", "0.5:4" }, "--sim-stragglers: '0.5:4' is not COUNT:FACTOR")]
    [InlineData(new[] { "--launcher", "sim", "--sim-jitter", "-1" }, "--sim-jitter: '-1' is not a finite number ≥ 0")]
    [InlineData(new[] { "--launcher", "sim", "--sim-chunk-seconds", "0" }, "--sim-chunk-seconds: '0' is not a finite number > 0")]
    [InlineData(new[] { "--launcher", "sim", "--sim-bandwidth", "fast" }, "--sim-bandwidth: 'fast' is not a finite number > 0")]
    [InlineData(new[] { "--launcher", "sim", "--sim-compare", "cluster" }, "--sim-compare: unknown value 'cluster' (expected inproc)")]
    [InlineData(new[] { "--launcher", "sim", "--sim-cores", "0" }, "--sim-cores: '0' is not a whole number > 0 or inf")]
    [InlineData(new[] { "--sim-stragglers", "1:4" }, "--sim-* options need --launcher sim")]
    public async Task Bad_simulation_options_are_one_line_errors(string[] options, string expected)
    {
        string dir = Path.Combine(_root, "bad");
        var (code, _, err) = await Run(["scale", .. options, "--out", dir]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task Workers_sharing_one_core_split_it_and_the_cores_are_recorded()
    {
        // sync, n = 2, no network, chunk 1 ms, server push 0.01 ms and closing a round 0.01 + 0.2 + 0.05 = 0.26 ms.
        // A core each: a round is a chunk (1 ms), then the two pushes one after the other: 1.27 ms.
        // One core: both chunks at half speed (2 ms), then the shard preempts them for the pushes: 2.27 ms.
        // Same tokens per round, so throughput on one core is 1.27 / 2.27 of that on unlimited cores.
        var args = Tiny.ToArray();
        args[Array.IndexOf(args, "--workers") + 1] = "1,2";
        args = [.. args.Where((x, i) => !IsReplaced(args, i)), "--modes", "sync", "--shards", "1", "--sim-push-seconds", "0.00001", "--sim-sum-seconds", "0.00005",
            "--sim-latency", "0", "--sim-bandwidth", "inf"];
        string one = Path.Combine(_root, "one"), inf = Path.Combine(_root, "inf");
        foreach (var (dir, cores) in new[] { (one, "1"), (inf, "inf") })
        {
            var (code, _, err) = await Run([.. args, "--sim-cores", cores, "--out", dir]);
            Assert.True(code == 0, err);
        }
        double Tps(string dir, int n) => D(SweepOutputs.Results(dir).Single(r => r["workers"] == n.ToString())["tokens_per_s"]);
        Assert.Equal(1.27 / 2.27, Tps(one, 2) / Tps(inf, 2), 9);
        Assert.Equal(1, Tps(one, 1) / Tps(inf, 1), 9); // n = 1, sync: the worker waits for each round's W whether the shard preempts it or not

        var costs = Rows(Path.Combine(one, SimReport.CostsCsv)).Where(c => c["cost"] == "cores").ToList();
        Assert.Equal(2, costs.Count);
        Assert.All(costs, c => Assert.StartsWith("1 core(s): worker i on core i mod 1", c["source"]));
        Assert.Contains("given (--sim-cores)", File.ReadAllText(Path.Combine(one, ScaleReport.Summary)));
        var n2 = SweepOutputs.Results(one).Single(r => r["workers"] == "2");
        Assert.Equal(D(n2["speedup"]), D(n2["core_efficiency"]), 12); // against min(n, 1) = 1 core
    }

    [Fact]
    public async Task Compare_runs_the_sweep_in_process_and_simulated_and_writes_the_side_by_side_table()
    {
        string dir = Path.Combine(_root, "compare");
        var (code, stdout, err) = await Run("scale", "--launcher", "sim", "--sim-compare", "inproc", "--hidden", "8", "--batch", "2", "--chunk", "5",
            "--workers", "1,2", "--modes", "async", "--shards", "1", "--budget", "1000", "--points", "2", "--val-tokens", "400",
            "--capacity-seconds", "0", "--progress", "off", "--out", dir);
        Assert.True(code == 0, err);
        var rows = Rows(Path.Combine(dir, SimValidation.Csv));
        Assert.Equal(["async k=5 shards=1 n=1", "async k=5 shards=1 n=2"], rows.Select(r => r["config"]));
        var measured = SweepOutputs.Results(Path.Combine(dir, "inproc"));
        var simulated = SweepOutputs.Results(Path.Combine(dir, "sim"));
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(D(measured[i]["tokens_per_s"]), D(rows[i]["measured_tokens_per_s"]), 6);
            Assert.Equal(D(simulated[i]["tokens_per_s"]), D(rows[i]["simulated_tokens_per_s"]), 6);
            Assert.Equal(D(rows[i]["simulated_tokens_per_s"]) / D(rows[i]["measured_tokens_per_s"]) - 1, D(rows[i]["throughput_error"]), 9);
        }
        // no network, but the in-process messaging measured: the hop between cores as latency, the handoff within one
        string summary = File.ReadAllText(Path.Combine(dir, "sim", ScaleReport.Summary));
        Assert.Contains("in process, no network (--sim-compare): a message between cores costs one hop between threads (measured:", summary);
        Assert.Contains("∞ B/s per port", summary);
        // and the handoff on one core is a cost of every configuration, measured, beside the push it is charged with
        var costs = Rows(Path.Combine(dir, "sim", SimReport.CostsCsv));
        Assert.All(rows, r =>
        {
            var handoff = Assert.Single(costs, c => c["config"] == r["config"] && c["cost"] == "handoff");
            Assert.True(D(handoff["seconds"]) > 0, handoff["seconds"]);
            Assert.Contains("CPUs 0 and 0", handoff["source"]);
        });
        Assert.Contains("the in-process run pins to (--sim-compare)", File.ReadAllText(Path.Combine(dir, "sim", ScaleReport.Summary))); // its cores, shared
        Assert.Contains("| async k=5 shards=1 n=2 |", stdout);
        Assert.Contains("load average", File.ReadAllText(Path.Combine(dir, SimValidation.Markdown)));
    }
}
