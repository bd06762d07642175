namespace ActorTrainer.Cli.Tests.Diagnostics;

public class DiagnoseCommandTests
{
    [Theory]
    [InlineData(0.8)]
    [InlineData(1.25)]
    [InlineData(-0.9)]
    public async Task Identity_phi_with_Whh_a_times_I_gives_norms_a_to_the_k(double a)
    {
        using var run = new CliRun();
        var (code, stdout, err) = await run.Run("diagnose", "--activation", "identity", "--whh-identity", a.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--hidden", "6", "--max-lag", "8", "--windows", "2", "--out", run.Dir);
        Assert.True(code == 0, err);
        Assert.Contains("| lag", stdout);
        run.AssertWritten("diagnose.md");
        run.AssertWritten("diagnose.png");
        var (_, rows) = run.Csv("diagnose.csv");
        Assert.Equal(9, rows.Count);   // lags 0..8
        foreach (var r in rows)
        {
            int k = int.Parse(r["lag"]);
            // ∂h_t/∂h_{t−k} = (a·I)^k: every anchor's spectral norm is |a|^k (a stored as float)
            double expected = Math.Pow(Math.Abs((float)a), k);
            foreach (string col in new[] { "jacobian_mean", "jacobian_min", "jacobian_max", "rho_pow_k" })
                Assert.True(Math.Abs(CliRun.D(r[col]) - expected) <= 1e-5 * expected, $"lag {k} {col}: {r[col]} vs |a|^k = {expected}");
        }
    }

    [Theory]
    [InlineData(new[] { "--checkpoint", "/nonexistent/model.safetensors" }, "file not found")]
    [InlineData(new[] { "--spectral-radius", "-0.5", "--hidden", "4" }, "--spectral-radius")]
    [InlineData(new[] { "--max-lag", "0", "--hidden", "4" }, "--max-lag")]
    [InlineData(new[] { "--activation", "sigmoid", "--hidden", "4" }, "--activation")]
    [InlineData(new[] { "--checkpoint", "x.safetensors", "--spectral-radius", "2" }, "cannot be combined with --checkpoint")]
    public async Task Bad_input_is_a_one_line_error_with_exit_code_2(string[] args, string expected)
    {
        using var run = new CliRun();
        var (code, _, err) = await run.Run(["diagnose", .. args, "--out", run.Dir]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("   at ", err);
        Assert.False(Directory.Exists(run.Dir), "nothing is written on bad input");
    }
}
