using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Cli.Training;

namespace ActorTrainer.Cli.Tests.Training;

/// <summary>The progress line under a clock the test moves.</summary>
public sealed class ProgressDisplayTests
{
    private double _now;
    private readonly StringWriter _out = new();

    private ProgressDisplay Display(long total) => new(_out, total, enabled: true, seconds: () => _now, interactive: false);

    private static UpdateApplied Update(float loss = 2f) => new(1, 1, [0], [0], loss, 1.5, false, 0, 100);

    private string[] Lines => _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Shows_percent_done_and_an_eta_at_the_rate_so_far()
    {
        var p = Display(400);
        _now = 1; for (int u = 1; u < 100; u++) p.OnUpdate(Update(), u); // the first is drawn
        _now = 20; p.OnUpdate(Update(), 100);
        // 100 updates in 20 s: 300 left take 60 s
        Assert.Contains("update 100/400 (25%)", Lines[^1]);
        Assert.Contains("ETA 1m00s", Lines[^1]);
        Assert.Contains("20s", Lines[^1]);
    }

    [Fact]
    public void The_eta_of_a_resumed_run_counts_only_the_updates_it_made()
    {
        var p = Display(2000);
        _now = 1; for (int u = 1001; u < 1100; u++) p.OnUpdate(Update(), u);
        _now = 10; p.OnUpdate(Update(), 1100);
        // 100 updates in 10 s: 900 left take 90 s
        Assert.Contains("update 1100/2000 (55%)", Lines[^1]);
        Assert.Contains("ETA 1m30s", Lines[^1]);
    }

    [Fact]
    public void The_last_line_shows_the_final_validation_loss_and_no_eta()
    {
        var p = Display(200);
        _now = 1; for (int u = 1; u <= 100; u++) p.OnUpdate(Update(), u);
        p.OnValidation(2.5);
        _now = 10; for (int u = 101; u <= 200; u++) p.OnUpdate(Update(), u);
        p.OnValidation(1.234); // the final validation comes after the last update
        _now = 11; p.Finish();
        Assert.Contains("update 200/200 (100%)", Lines[^1]);
        Assert.Contains("val 1.234", Lines[^1]);
        Assert.DoesNotContain("ETA", Lines[^1]);
        Assert.Contains("11s", Lines[^1]);
    }

    [Fact]
    public void Redirected_output_gets_a_line_every_five_seconds_not_one_per_update()
    {
        var p = Display(1000);
        for (int u = 1; u <= 60; u++) { _now = u * 0.1; p.OnUpdate(Update(), u); } // 0.1 … 6.0 s
        Assert.Equal(2, Lines.Length); // at 0.1 s, then 5 s later (5.1 s)
        Assert.Contains("update 51/1000", Lines[^1]);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(59.4, "59s")]
    [InlineData(60, "1m00s")]
    [InlineData(400, "6m40s")]
    [InlineData(7500, "2h05m")]
    public void Durations_read_as_hours_minutes_seconds(double seconds, string expected) =>
        Assert.Equal(expected, ProgressDisplay.Duration(seconds));
}
