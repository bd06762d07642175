namespace ActorTrainer.Cli.Tests.Diagnostics;

public class ExperimentCommandTests
{
    [Fact]
    public async Task Vanishing_writes_one_row_per_phi_rho_and_lag_and_norms_grow_with_rho()
    {
        using var run = new CliRun();
        var (code, _, err) = await run.Run("experiment", "vanishing", "--hidden", "8", "--max-lag", "5", "--windows", "1",
            "--radii", "0.5,1.5", "--out", run.Dir);
        Assert.True(code == 0, err);
        foreach (string f in new[] { "vanishing.md", "vanishing.png", "vanishing.csv" }) run.AssertWritten(f);
        var (header, rows) = run.Csv("vanishing.csv");
        Assert.Equal(["phi", "rho", "lag", "jacobian_geomean", "jacobian_min", "jacobian_max", "grad_rel"], header);
        Assert.Equal(2 * 2 * 5, rows.Count);
        double At(string phi, string rho, int k) => CliRun.D(rows.Single(r => r["phi"] == phi && r["rho"] == rho && r["lag"] == $"{k}")["jacobian_geomean"]);
        // ‖W^k‖ ≥ ρ^k, and for identity φ the Jacobian product is W_hh^k itself: 1.5^5 ≈ 7.6 vs 0.5^5 ≈ 0.03
        Assert.True(At("identity", "1.5", 5) >= Math.Pow(1.5, 5) * (1 - 1e-6));
        Assert.True(At("identity", "0.5", 5) < At("identity", "1.5", 5));
        // |tanh'| ≤ 1 shrinks every factor: tanh never beats identity at the same W_hh by more than rounding
        for (int k = 1; k <= 5; k++) Assert.True(At("tanh", "0.5", k) <= At("identity", "0.5", k) * (1 + 1e-6));
    }

    [Fact]
    public async Task Truncation_writes_a_row_per_scheme_with_accuracy_in_0_1()
    {
        using var run = new CliRun();
        var (code, _, err) = await run.Run("experiment", "truncation", "--ks", "2,6", "--delay", "3", "--episode-length", "12", "--episodes", "20",
            "--hidden", "8", "--batch", "4", "--chunk", "6", "--eval-episodes", "1", "--out", run.Dir);
        Assert.True(code == 0, err);
        foreach (string f in new[] { "truncation.md", "truncation.png", "truncation.csv" }) run.AssertWritten(f);
        var (header, rows) = run.Csv("truncation.csv");
        Assert.Equal(["scheme", "k", "chunk", "max_reach", "updates", "final_loss", "accuracy", "chance"], header);
        Assert.Equal(["subsequence", "subsequence", "k-step", "full"], rows.Select(r => r["scheme"]));
        Assert.Equal(["2", "6", "7", "12"], rows.Select(r => r["k"]));          // k-step uses L + 4
        Assert.Equal(["1", "5", "7", "11"], rows.Select(r => r["max_reach"]));
        Assert.Equal(["120", "40", "40", "40"], rows.Select(r => r["updates"])); // 20 episodes × ⌈12/chunk⌉
        Assert.All(rows, r => Assert.InRange(CliRun.D(r["accuracy"]), 0, 1));
        Assert.All(rows, r => Assert.Equal(0.25, CliRun.D(r["chance"])));
    }

    [Fact]
    public async Task Truncation_learns_the_recall_only_when_the_gradient_reaches_the_delay()
    {
        using var run = new CliRun();
        var (code, _, err) = await run.Run("experiment", "truncation", "--ks", "2,8", "--delay", "3", "--alphabet", "4", "--episode-length", "16",
            "--episodes", "300", "--hidden", "16", "--batch", "8", "--chunk", "8", "--lr", "0.01", "--eval-episodes", "2", "--out", run.Dir);
        Assert.True(code == 0, err);
        var acc = run.Csv("truncation.csv").Rows.ToDictionary(r => r["scheme"] + r["k"], r => CliRun.D(r["accuracy"]));
        // reach 1 < L = 3: the model is never taught to store x_{t−3}, so recall stays near chance 1/4
        // (not exactly: the readout can still pick up what untrained dynamics happen to keep)
        Assert.True(acc["subsequence2"] < 0.45, $"subsequence(2) recall accuracy {acc["subsequence2"]}");
        Assert.True(acc["subsequence8"] > 0.9, $"subsequence(8) recall accuracy {acc["subsequence8"]}");
        Assert.True(acc["full16"] > 0.9, $"full recall accuracy {acc["full16"]}");
    }

    [Fact]
    public async Task Clipping_writes_a_run_per_threshold_and_flags_exactly_the_updates_above_c()
    {
        using var run = new CliRun();
        var (code, _, err) = await run.Run("experiment", "clipping", "--steps", "20", "--hidden", "8", "--batch", "2", "--chunk", "5",
            "--clip", "0.5", "--out", run.Dir);
        Assert.True(code == 0, err);
        foreach (string f in new[] { "clipping.md", "clipping.png", "clipping.csv", "clipping_curves.csv" }) run.AssertWritten(f);
        var (header, summary) = run.Csv("clipping.csv");
        Assert.Equal(["run", "updates", "clip_c", "clipped_fraction", "nonfinite", "first_loss", "final_loss", "min_loss", "median_norm", "max_norm"], header);
        Assert.Equal(["no clipping", "clip c=0.5"], summary.Select(r => r["run"]));
        var curves = run.Csv("clipping_curves.csv").Rows;
        Assert.Equal(40, curves.Count);
        foreach (var r in curves)
        {
            bool above = r["run"] != "no clipping" && CliRun.D(r["grad_norm"]) > 0.5;
            Assert.Equal(above ? "1" : "0", r["clipped"]);
        }
        double fraction = curves.Count(r => r["run"] == "clip c=0.5" && r["clipped"] == "1") / 20.0;
        Assert.Equal(fraction, CliRun.D(summary[1]["clipped_fraction"]), 12);
        // both runs start from the same W on the same chunk
        Assert.Equal(summary[0]["first_loss"], summary[1]["first_loss"]);
    }

    [Theory]
    [InlineData(new[] { "experiment", "sideways" }, "unknown experiment 'sideways'")]
    [InlineData(new[] { "experiment", "vanishing", "--radii", "0.5,-1" }, "--radii")]
    [InlineData(new[] { "experiment", "clipping", "--spectral-radius", "-2" }, "--spectral-radius")]
    [InlineData(new[] { "experiment", "clipping", "--optimizer", "lbfgs" }, "unknown optimizer 'lbfgs'")]
    [InlineData(new[] { "experiment", "truncation", "--ks", "0" }, "--ks")]
    [InlineData(new[] { "experiment", "truncation", "--bogus", "1" }, "bogus")]
    public async Task Bad_input_is_a_one_line_error_with_exit_code_2(string[] args, string expected)
    {
        using var run = new CliRun();
        var (code, _, err) = await run.Run([.. args, "--out", run.Dir]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("   at ", err);
        Assert.False(Directory.Exists(run.Dir), "nothing is written on bad input");
    }
}
