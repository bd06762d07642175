using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.Scaling;
using ActorTrainer.Cli.Training;

namespace ActorTrainer.Cli.Tests.Scaling;

/// <summary>Reading what a finished ps node and its worker nodes left behind, and the figures derived from it.</summary>
public sealed class PsRunReaderTests
{
    private const string Header = "update,version,worker,chunk,loss,grad_norm,clipped,staleness,tokens,elapsed_s\n";

    [Fact]
    public void Metrics_rows_are_read_by_column_name_with_the_contributors_of_each_update()
    {
        var rows = PsRunReader.ParseMetrics(Header +
            "1,1,0;1,0;0,3.8,1.5,0,0,80,2.5\n" +
            "2,2,1,1,3.7,1.4,1,2,40,2.75\n");

        Assert.Equal(new MetricsRow(1, 1, 2, 0, 80, 2.5), rows[0]);
        Assert.Equal(new MetricsRow(2, 2, 1, 2, 40, 2.75), rows[1]);
    }

    [Theory]
    [InlineData("update,version,worker\n1,1,0\n", "no column 'staleness'")]
    [InlineData(Header + "1,1,0,0,3.8,1.5,0,zero,80,2.5\n", "row 1")]
    [InlineData(Header + "1,1,0\n", "row 1: 3 fields")]
    [InlineData("", "is empty")]
    public void Malformed_metrics_name_the_problem(string csv, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => PsRunReader.ParseMetrics(csv, "ps/metrics.csv"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("ps/metrics.csv", e.Message);
    }

    [Fact]
    public void The_timed_window_runs_from_the_first_update_to_the_last_without_the_first_updates_tokens()
    {
        var rows = new[] { new MetricsRow(1, 1, 1, 0, 100, 5.0), new MetricsRow(2, 2, 1, 0, 100, 5.5), new MetricsRow(3, 3, 1, 0, 100, 7.0) };

        var (tokens, seconds) = PsRunReader.TimedWindow(rows);

        Assert.Equal(200, tokens);
        Assert.Equal(2.0, seconds, 12);
        Assert.Equal((0L, 0.0), PsRunReader.TimedWindow(rows[..1]));
    }

    [Fact]
    public void Staleness_is_counted_once_per_contributing_gradient()
    {
        var rows = new[] { new MetricsRow(1, 1, 2, 0, 1, 0), new MetricsRow(2, 2, 1, 3, 1, 0), new MetricsRow(3, 3, 1, 1, 1, 0) };

        Assert.Equal(new long[] { 2, 1, 0, 1 }, PsRunReader.StalenessCounts(rows));
        Assert.Equal(new long[] { 0 }, PsRunReader.StalenessCounts([]));
    }

    [Fact]
    public void Worker_idle_is_one_minus_compute_over_active_time_and_not_measured_without_every_report()
    {
        var a = new WorkerComputeReport(10, 3, 10, 0);
        var b = new WorkerComputeReport(10, 5, 10, 0);

        Assert.Equal(0.6, PsRunReader.WorkerIdle([a, b]), 12);
        Assert.True(double.IsNaN(PsRunReader.WorkerIdle([a, null])));
        Assert.True(double.IsNaN(PsRunReader.WorkerIdle([])));
    }

    [Fact]
    public void A_worker_compute_report_is_found_in_the_nodes_stderr_as_written()
    {
        var report = new WorkerComputeReport(264, 0.340652, 1.510463, 2);
        string stderr = "worker node up at akka.tcp://actortrainer@127.0.0.1:36241\nthe run finished after 500 updates\n" + report.Format() + "\n";

        Assert.Equal(report, WorkerComputeReport.Find(stderr));
        Assert.Null(WorkerComputeReport.Find("the run finished after 500 updates\n"));
        Assert.Null(WorkerComputeReport.Find("worker compute: chunks=12 compute_s=abc active_s=1 gc_gen2=0\n"));
    }

    [Fact]
    public void Server_summary_round_trips_through_its_json_with_snake_case_keys()
    {
        var histogram = new long[ServerStats.StalenessBuckets];
        histogram[0] = 7; histogram[2] = 3;
        var rejections = new long[Enum.GetValues<RejectionReason>().Length];
        rejections[(int)RejectionReason.TooStale] = 4;
        var stats = new ServerStats(12, 10, 10, rejections, 0, 2, 6, histogram);
        var result = new TrainingResult([1f], 12, CompletionReason.ReachedMaxUpdates, "", stats, []);
        var load = new ServerLoadReported(0.5, 4.0, 30, 1000, 2000);

        var summary = ServerSummary.From(result, load, 3);
        string json = summary.ToJson();
        var back = ServerSummary.Parse(json);

        Assert.Contains("\"tensor_bytes_received\": 1000", json);
        Assert.Contains("\"busy_s\": 0.5", json);
        Assert.Contains("\"gc_gen2\": 3", json);
        Assert.Equal(4, back.Rejections["TooStale"]);
        Assert.Equal(4, back.RejectionsTotal);
        Assert.Equal(histogram, back.StalenessHistogram);
        Assert.Equal((0.5, 0.125, 2000L), (back.BusySeconds!.Value, back.BusyFraction!.Value, back.TensorBytesSent!.Value));
        Assert.Equal("ReachedMaxUpdates", back.Reason);
        Assert.Null(ServerSummary.Parse(ServerSummary.From(result, null, 0).ToJson()).TensorBytesReceived);
        Assert.Throws<InvalidDataException>(() => ServerSummary.Parse("{ not json"));
    }

    [Fact]
    public void Nodes_start_from_the_apphost_when_it_runs_and_through_dotnet_with_the_dll_otherwise()
    {
        string dll = Path.Combine(Path.GetTempPath(), "bin", "actortrainer.dll");
        string apphost = Path.Combine(Path.GetTempPath(), "bin", "actortrainer");

        var direct = CliExecutable.Resolve(dll, apphost, null);
        var viaDotnet = CliExecutable.Resolve(dll, "/usr/share/dotnet/dotnet", null);
        var underTestHost = CliExecutable.Resolve(dll, "/somewhere/testhost", "/opt/dotnet/dotnet");

        Assert.Equal((apphost, 0), (direct.FileName, direct.LeadingArguments.Count));
        Assert.Equal(("/usr/share/dotnet/dotnet", dll), (viaDotnet.FileName, viaDotnet.LeadingArguments.Single()));
        Assert.Equal(("/opt/dotnet/dotnet", dll), (underTestHost.FileName, underTestHost.LeadingArguments.Single()));
        Assert.Equal(Path.Combine(Path.GetTempPath(), "bin", "hocon", "local.conf"), direct.LocalConf);
    }
}
