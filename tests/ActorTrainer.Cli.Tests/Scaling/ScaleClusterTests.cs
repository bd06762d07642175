using System.Globalization;
using ActorTrainer.Cli.Scaling;
using ActorTrainer.Cli.Tests.Cluster;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Tests.Scaling;

/// <summary>
/// A tiny sweep with --launcher cluster: every configuration is real `actortrainer node` processes on
/// the loopback (the CLI built next to the tests), checked by the contents of what the sweep writes.
/// Timeouts are not asserted; the run takes some seconds per configuration (process start-up).
/// </summary>
[Trait("Category", "Cluster")]
[Collection(ClusterProcessesCollection.Name)]
public sealed class ScaleClusterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "at-scalecl-" + Guid.NewGuid().ToString("N"));

    public ScaleClusterTests() => Directory.CreateDirectory(_root);
    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private static double D(string s) => SweepOutputs.D(s);

    [Fact]
    public async Task A_cluster_sweep_measures_each_configuration_from_its_node_processes()
    {
        string dir = Path.Combine(_root, "sweep");
        var o = new StringWriter(); var e = new StringWriter();
        int code = await Cli.RunAsync(
        [
            "scale", "--launcher", "cluster", "--hidden", "16", "--batch", "4", "--chunk", "10", "--workers", "1,2", "--modes", "sync",
            "--budget", "8000", "--points", "4", "--val-tokens", "400", "--capacity-seconds", "0", "--progress", "off", "--out", dir,
            "--stall-timeout", "90", // a stuck configuration fails with its nodes' last lines instead of hanging the suite
        ], o, e);
        Assert.True(code == 0, e.ToString());

        var rows = SweepOutputs.Results(dir);
        Assert.Equal(["sync k=10 shards=1 n=1", "sync k=10 shards=1 n=2"], rows.Select(r => r["config"]));
        foreach (var r in rows)
        {
            int n = int.Parse(r["workers"], CultureInfo.InvariantCulture);
            long updates = 8000 / (4 * 10 * n);                               // the budget in sync rounds of n chunks of B·k tokens
            Assert.Equal(updates, long.Parse(r["updates"], CultureInfo.InvariantCulture));
            Assert.Equal(updates * n, long.Parse(r["gradients_applied"], CultureInfo.InvariantCulture));
            Assert.Equal("0", r["gradients_rejected"]);
            Assert.Equal((updates - 1) * 4 * 10 * n, long.Parse(r["tokens"], CultureInfo.InvariantCulture)); // timed from the first update on
            Assert.True(D(r["wall_s"]) > 0, r["config"]);
            Assert.Equal(D(r["tokens"]) / D(r["wall_s"]), D(r["tokens_per_s"]), 6);
            Assert.Equal("0", r["staleness_max"]);                            // a sync round takes only current gradients
            Assert.InRange(D(r["server_busy"]), 1e-9, 1);
            Assert.InRange(D(r["worker_idle"]), 0, 1);                        // measured by the worker nodes, not n/a
            Assert.True(D(r["chunk_compute_s"]) > 0, r["config"]);
            Assert.True(D(r["bytes_sent"]) > 0 && D(r["bytes_received"]) > 0, r["config"]);
            Assert.Equal("ReachedMaxUpdates", r["completion"]);

            // the ps node's summary agrees with the row
            string slug = r["config"].Replace("=", "").Replace(' ', '-');
            var server = ServerSummary.Read(Path.Combine(dir, "runs", slug, ServerSummary.FileName));
            Assert.Equal(updates, server.Updates);
            Assert.Equal(D(r["bytes_sent"]), server.TensorBytesReceived!.Value);
            Assert.True(File.Exists(Path.Combine(dir, "runs", slug + "-logs", "ps.log")));
        }

        // efficiency from the measured throughputs
        double one = D(rows[0]["tokens_per_s"]), two = D(rows[1]["tokens_per_s"]);
        Assert.Equal(two / one, D(rows[1]["speedup"]), 9);
        Assert.Equal(two / (2 * one), D(rows[1]["efficiency"]), 9);

        // curves: from W0, versions and time never go back, the last point is the final W after every update; the loss went down
        SweepOutputs.CurvesStartAtW0AndEndAtTheFinalLoss(dir, rows);
        foreach (var g in CsvReader.ReadAll(Path.Combine(dir, ScaleReport.CurvesCsv)).Skip(1).Where(r => r.Length > 1).GroupBy(r => r[0]))
        {
            Assert.Equal(rows.Single(r => r["config"] == g.Key)["updates"], g.Last()[2]);
            Assert.True(D(g.Last()[5]) < D(g.First()[5]), $"{g.Key}: the loss did not go down");
        }
        SweepOutputs.PlotsAreNonTrivialPngs(dir);

        string summary = File.ReadAllText(Path.Combine(dir, ScaleReport.Summary));
        Assert.Contains("- launcher: cluster", summary);
        Assert.Contains("127.0.0.1", summary);
        Assert.Contains("include serialization and the transport", summary);
        Assert.Contains("| sync k=10 shards=1 n=2 |", o.ToString());
    }
}
