using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Commands;
using static ActorTrainer.Cli.Tests.CliHarness;

namespace ActorTrainer.Cli.Tests.Experiments;

public class ExperimentCommandTests
{
    // Tiny settings: each experiment runs in about a second.
    private static readonly string[] TinyVanishing =
        ["--hidden", "8", "--max-lag", "20", "--windows", "3", "--warmup", "5", "--radii", "0.5,1,1.5"];

    // L = 3 with A = 3 symbols: k = 1 cannot see the dependency, k = 8 and the untruncated run can.
    private static readonly string[] TinyTruncation =
        ["--delay", "3", "--alphabet", "3", "--hidden", "16", "--batch", "8", "--ks", "1,8", "--chunk", "4", "--episode", "16",
         "--updates", "600", "--lr", "0.01", "--eval-steps", "200"];

    private static readonly string[] TinyClipping = ["--hidden", "8", "--batch", "4", "--k", "5", "--updates", "30"];

    [Fact]
    public void Vanishing_writes_one_row_per_activation_radius_and_lag_and_a_png()
    {
        using var dir = new TempDir();
        RunOk(["experiment", "vanishing", .. TinyVanishing, "--out", dir.Path]);
        var (h, rows) = ReadCsv(dir.File("vanishing.csv"));
        Assert.Equal(["phi", "radius", "lag", "grad_norm", "grad_rel", "jacobian_norm"], h);
        Assert.Equal(2 * 3 * 21, rows.Count);
        Assert.Equal(["identity", "tanh"], rows.Select(r => r[0]).Distinct());
        Assert.All(rows.Where(r => Num(r[2]) == 0), r => Assert.Equal(1.0, Num(Col(h, r, "grad_rel"))));
        // summary table (6 configurations) then the long table are in the markdown
        Assert.Equal(2 + 6 + 2 + 6 * 21, MarkdownTableLines(dir.File("vanishing.md")).Length);
        AssertPng(dir.File("vanishing.png"));
    }

    [Fact]
    public void Vanishing_gradient_grows_with_the_spectral_radius_under_identity_phi()
    {
        // identity φ: g_k = (W_hhᵀ)^k g_0 grows like ρ^k; 1.5 vs 0.5 over 20 lags is a factor 3^20 ≈ 3.5e9 asymptotically
        using var dir = new TempDir();
        RunOk(["experiment", "vanishing", .. TinyVanishing, "--activations", "identity", "--out", dir.Path]);
        var (h, rows) = ReadCsv(dir.File("vanishing.csv"));
        double AtK(double rho) => Num(Col(h, rows.Single(r => Num(r[1]) == rho && Num(r[2]) == 20), "grad_rel"));
        Assert.True(AtK(0.5) < AtK(1.0) && AtK(1.0) < AtK(1.5), $"{AtK(0.5)}, {AtK(1.0)}, {AtK(1.5)}");
        Assert.True(AtK(1.5) / AtK(0.5) > 1e6, $"ratio {AtK(1.5) / AtK(0.5)}");
        Assert.True(AtK(0.5) < 1e-3, $"rho 0.5: {AtK(0.5)}");
    }

    [Fact]
    public void Truncation_writes_a_row_per_run_and_learning_needs_a_reach_of_L()
    {
        using var dir = new TempDir();
        RunOk(["experiment", "truncation", .. TinyTruncation, "--out", dir.Path]);
        var (h, rows) = ReadCsv(dir.File("truncation.csv"));
        Assert.Equal(["scheme", "k", "chunk_T", "k_minus_L", "accuracy", "final_train_loss", "train_predictions"], h);
        Assert.Equal(["subsequence", "subsequence", "k-step", "k-step", "full"], rows.Select(r => r[0]));
        double Acc(string scheme, int k) => Num(Col(h, rows.Single(r => r[0] == scheme && (scheme == "full" || Num(r[1]) == k)), "accuracy"));

        // chance is 1/3; k = 1 sees one step back where the dependency is 3 steps back
        Assert.True(Acc("subsequence", 8) > 0.9, $"subsequence(8): {Acc("subsequence", 8)}");
        Assert.True(Acc("k-step", 8) > 0.9, $"k-step(8): {Acc("k-step", 8)}");
        Assert.True(Acc("full", 0) > 0.9, $"full: {Acc("full", 0)}");
        Assert.True(Acc("subsequence", 1) < 0.75, $"subsequence(1): {Acc("subsequence", 1)}");
        Assert.True(Acc("k-step", 1) < 0.75, $"k-step(1): {Acc("k-step", 1)}");
        Assert.Equal(2 + 5, MarkdownTableLines(dir.File("truncation.md")).Length);
        AssertPng(dir.File("truncation.png"));
    }

    [Fact]
    public void Clipping_writes_both_runs_and_clips_exactly_the_updates_above_the_threshold()
    {
        using var dir = new TempDir();
        RunOk(["experiment", "clipping", .. TinyClipping, "--clip", "0.5", "--out", dir.Path]);
        var (h, rows) = ReadCsv(dir.File("clipping.csv"));
        Assert.Equal(["no clipping", "clip at 0.5"], rows.Select(r => r[0]));
        var (lh, log) = ReadCsv(dir.File("clipping-log.csv"));
        Assert.Equal(["update", "noclip_loss", "noclip_grad_norm", "noclip_clipped", "clip_loss", "clip_grad_norm", "clip_clipped"], lh);
        Assert.Equal(30, log.Count);
        // same W, same first chunk: the first update's loss and norm agree; after that the runs differ
        Assert.Equal(log[0][1], log[0][4]);
        Assert.Equal(log[0][2], log[0][5]);
        foreach (var r in log)
            Assert.Equal(Num(r[5]) > 0.5 ? "1" : "0", r[6]);
        double fraction = log.Count(r => r[6] == "1") / 30.0;
        Assert.Equal(fraction, Num(Col(h, rows[1], "clipped_fraction")), 12);
        AssertPng(dir.File("clipping.png"));
        AssertPng(dir.File("clipping-gradnorm.png"));
        Assert.Equal(2 + 2, MarkdownTableLines(dir.File("clipping.md")).Length);
        // the clipped run's model can be diagnosed
        RunOk("diagnose", "--checkpoint", dir.Path, "--max-lag", "5", "--windows", "1", "--out", dir.File("diag"));
        Assert.Contains("phi=tanh", File.ReadAllText(Path.Combine(dir.File("diag"), "diagnose.md")));
    }

    [Theory]
    [InlineData("vanishing")]
    [InlineData("clipping")]
    public void Experiments_are_reproducible_for_a_seed(string name)
    {
        using var dir = new TempDir();
        string[] tiny = name == "vanishing" ? TinyVanishing : TinyClipping;
        RunOk(["experiment", name, .. tiny, "--seed", "5", "--out", dir.File("a")]);
        RunOk(["experiment", name, .. tiny, "--seed", "5", "--out", dir.File("b")]);
        RunOk(["experiment", name, .. tiny, "--seed", "6", "--out", dir.File("c")]);
        string a = File.ReadAllText(Path.Combine(dir.File("a"), name + ".csv"));
        Assert.Equal(a, File.ReadAllText(Path.Combine(dir.File("b"), name + ".csv")));
        Assert.NotEqual(a, File.ReadAllText(Path.Combine(dir.File("c"), name + ".csv")));
    }

    [Fact]
    public void Unknown_or_missing_experiment_is_a_usage_error_listing_the_names()
    {
        var e = Experiment("exploding");
        Assert.Contains("'exploding'", e.Message);
        Assert.Contains("vanishing, truncation, clipping", e.Message);
        Experiment();

        var r = Run("experiment", "exploding");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: unknown experiment 'exploding'", r.Err);
    }

    [Theory]
    [InlineData("vanishing", "--radii", "0.5,-1", "--radii")]
    [InlineData("vanishing", "--radii", "0.5,,1", "--radii")]
    [InlineData("clipping", "--radius", "-2", "--radius")]
    [InlineData("clipping", "--clip", "0", "--clip")]
    [InlineData("truncation", "--optimizer", "rmsprop", "--optimizer")]
    [InlineData("truncation", "--episode", "10", "--episode")]
    [InlineData("truncation", "--ks", "0,4", "--ks")]
    [InlineData("truncation", "--k", "4", "--k")]
    public void Bad_experiment_options_are_usage_errors_naming_the_option(string name, string option, string value, string named)
    {
        var e = Experiment(name, option, value, "--out", Path.GetTempPath());
        Assert.Contains(named, e.Message);
    }

    /// <summary>Runs `experiment` through the command line expecting bad usage: exit 2 and one error line, returned.</summary>
    private static UsageError Experiment(params string[] args)
    {
        var r = Run(["experiment", .. args]);
        Assert.True(r.ExitCode == 2, $"exit code {r.ExitCode}; stderr: {r.Err}");
        Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", r.Err);
        return new UsageError(r.Err);
    }

    private sealed record UsageError(string Message);

    [Fact]
    public void Help_lists_the_three_experiments()
    {
        var r = RunOk("experiment", "--help");
        foreach (string name in new[] { "vanishing", "truncation", "clipping" }) Assert.Contains(name, r.Out);
    }
}
