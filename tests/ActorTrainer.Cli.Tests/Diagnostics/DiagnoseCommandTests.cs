using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Commands;
using ActorTrainer.Cli.Diagnostics;
using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Rnn;
using static ActorTrainer.Cli.Tests.CliHarness;

namespace ActorTrainer.Cli.Tests.Diagnostics;

public class DiagnoseCommandTests
{
    private const int K = 12;

    private static string[] Fresh(string outDir, params string[] extra) =>
        ["diagnose", "--hidden", "6", "--max-lag", K.ToString(), "--windows", "2", "--length", "20", "--anchor-stride", "4", "--out", outDir, .. extra];

    [Theory]
    [InlineData(0.8)]
    [InlineData(1.25)]
    [InlineData(-0.9)]
    public void Identity_phi_with_Whh_aI_gives_Jacobian_and_gradient_norms_a_to_the_k(double a)
    {
        // h_t = W_hh h_{t−1} + … with W_hh = a·I: ∂h_t/∂h_{t−k} = a^k·I, so ‖·‖₂ = |a|^k at every anchor, ρ = |a|,
        // and ∂L/∂h_{t−k} = (a^k I)ᵀ ∂L/∂h_t, so the gradient norm relative to lag 0 is |a|^k too.
        using var dir = new TempDir();
        RunOk(Fresh(dir.Path, "--activation", "identity", "--whh-identity", a.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var (h, rows) = ReadCsv(dir.File("diagnose.csv"));
        Assert.Equal(K + 1, rows.Count);
        for (int k = 0; k <= K; k++)
        {
            var r = rows[k];
            Assert.Equal(k, (int)Num(Col(h, r, "lag")));
            double expected = Math.Pow(Math.Abs((double)(float)a), k);   // W is stored in float
            foreach (string c in new[] { "jacobian_mean", "jacobian_geomean", "jacobian_min", "jacobian_max", "rho_pow_k", "grad_rel" })
                AssertRelative(expected, Num(Col(h, r, c)), 1e-9, $"{c} at lag {k}");
        }
    }

    [Fact]
    public void Spectral_radius_option_sets_rho_of_the_fresh_Whh()
    {
        using var dir = new TempDir();
        var r = RunOk(Fresh(dir.Path, "--spectral-radius", "1.3"));
        Assert.Contains("spectral radius of W_hh: 1.3 ", r.Out);
        var (h, rows) = ReadCsv(dir.File("diagnose.csv"));
        AssertRelative(Math.Pow(1.3, K), Num(Col(h, rows[K], "rho_pow_k")), 1e-6, "rho^K");
    }

    [Fact]
    public void Writes_csv_markdown_and_png_and_prints_the_table()
    {
        using var dir = new TempDir();
        var r = RunOk(Fresh(dir.Path));
        var (h, rows) = ReadCsv(dir.File("diagnose.csv"));
        Assert.Equal(["lag", "samples", "jacobian_mean", "jacobian_geomean", "jacobian_min", "jacobian_max", "rho_pow_k",
            "grad_norm", "grad_rel", "dwhh_lag_norm", "dwhh_lag_share"], h);
        Assert.All(rows, row => Assert.Equal(h.Length, row.Length));
        // every lag's share of dW_hh is a number (a fresh tanh model has no dead paths)
        Assert.All(rows, row => Assert.True(double.IsFinite(Num(Col(h, row, "dwhh_lag_share")))));
        Assert.Equal(2 + K + 1, MarkdownTableLines(dir.File("diagnose.md")).Length);
        AssertPng(dir.File("diagnose.png"));
        Assert.Contains("| lag |", r.Out);
        Assert.Contains("spectral radius of W_hh", r.Out);
    }

    [Fact]
    public void Checkpoint_gives_the_same_table_as_the_fresh_model_it_holds_and_a_directory_uses_its_checkpoint()
    {
        using var dir = new TempDir();
        var corpus = DefaultCorpus.Load();
        var model = ModelSource.Fresh(corpus.Vocabulary, 6, Activation.Identity, new WhhInit.SpectralRadius(0.9), seed: 3);
        string ckptDir = Directory.CreateDirectory(dir.File("run")).FullName;
        ModelCheckpoint.Write(Path.Combine(ckptDir, "model.safetensors"), model.Spec.Shape, model.W, corpus.Vocabulary,
            new Dictionary<string, string> { ["activation"] = "identity" });

        RunOk(Fresh(dir.File("fresh"), "--activation", "identity", "--spectral-radius", "0.9", "--seed", "3"));
        string[] common = ["diagnose", "--max-lag", K.ToString(), "--windows", "2", "--length", "20", "--anchor-stride", "4"];
        RunOk([.. common, "--checkpoint", Path.Combine(ckptDir, "model.safetensors"), "--out", dir.File("file")]);
        RunOk([.. common, "--checkpoint", ckptDir, "--out", dir.File("dir")]);   // activation read from the checkpoint

        string fresh = File.ReadAllText(Path.Combine(dir.File("fresh"), "diagnose.csv"));
        Assert.Equal(fresh, File.ReadAllText(Path.Combine(dir.File("file"), "diagnose.csv")));
        Assert.Equal(fresh, File.ReadAllText(Path.Combine(dir.File("dir"), "diagnose.csv")));
    }

    [Fact]
    public void A_train_run_directory_is_diagnosed_from_its_model_file_on_the_corpus_it_recorded()
    {
        using var dir = new TempDir();
        var vocab = Vocabulary.FromText("abc \n");
        string text = dir.File("abc.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("abc cab\nbca acb ", 30)));
        var model = ModelSource.Fresh(vocab, 4, Activation.Tanh, new WhhInit.SpectralRadius(1), 1);
        ModelCheckpoint.Write(dir.File("model.safetensors"), model.Spec.Shape, model.W, vocab,
            new Dictionary<string, string> { ["corpus"] = text, ["activation"] = "tanh" });
        File.WriteAllText(dir.File("state.safetensors"), "not a model: a run's resume state, written after the model");

        // the built-in corpus has characters outside "abc \n": only the recorded corpus fits this model
        var r = RunOk("diagnose", "--checkpoint", dir.Path, "--max-lag", "4", "--out", dir.File("diag"));
        Assert.Contains("model: checkpoint " + dir.File("model.safetensors"), r.Out);
        Assert.Contains("data: " + text, r.Out);
    }

    [Fact]
    public void Missing_checkpoint_is_a_usage_error_naming_the_file()
    {
        using var dir = new TempDir();
        string missing = dir.File("nope.safetensors");
        var e = Diagnose("--checkpoint", missing, "--out", dir.Path);
        Assert.Contains("not found", e.Message);
        Assert.Contains(missing, e.Message);

        var r = Run("diagnose", "--checkpoint", missing, "--out", dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: --checkpoint: file not found", r.Err);
    }

    [Theory]
    [InlineData("--spectral-radius", "-1", "--spectral-radius")]
    [InlineData("--spectral-radius", "abc", "--spectral-radius")]
    [InlineData("--spectral-radius", "NaN", "--spectral-radius")]
    [InlineData("--max-lag", "0", "--max-lag")]
    [InlineData("--activation", "sigmoid", "--activation")]
    [InlineData("--bogus", "1", "--bogus")]
    public void Bad_option_values_are_usage_errors_naming_the_option(string option, string value, string named)
    {
        using var dir = new TempDir();
        var e = Diagnose(option, value, "--out", dir.Path);
        Assert.Contains(named, e.Message);
        Assert.Contains(value == "1" ? "unknown option" : value, e.Message);
    }

    [Fact]
    public void Conflicting_model_options_are_usage_errors()
    {
        using var dir = new TempDir();
        Assert.Contains("not both", Diagnose("--spectral-radius", "1", "--whh-identity", "1", "--out", dir.Path).Message);
        string ckpt = dir.File("m.safetensors");
        var corpus = DefaultCorpus.Load();
        var model = ModelSource.Fresh(corpus.Vocabulary, 4, Activation.Tanh, new WhhInit.SpectralRadius(1), 1);
        ModelCheckpoint.Write(ckpt, model.Spec.Shape, model.W, corpus.Vocabulary);
        Assert.Contains("--hidden", Diagnose("--checkpoint", ckpt, "--hidden", "8", "--out", dir.Path).Message);
    }

    [Fact]
    public void Corpus_with_characters_outside_the_checkpoint_vocabulary_is_a_usage_error()
    {
        using var dir = new TempDir();
        var vocab = Vocabulary.FromText("abc ");
        var model = ModelSource.Fresh(vocab, 4, Activation.Tanh, new WhhInit.SpectralRadius(1), 1);
        string ckpt = dir.File("m.safetensors");
        ModelCheckpoint.Write(ckpt, model.Spec.Shape, model.W, vocab);
        string text = dir.File("text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("abc cab bca xyz ", 20)));
        var e = Diagnose("--checkpoint", ckpt, "--corpus", text, "--max-lag", "4", "--out", dir.Path);
        Assert.Contains("'x'", e.Message);
    }

    /// <summary>Runs `diagnose` through the command line expecting bad usage: exit 2 and one error line, returned.</summary>
    private static UsageError Diagnose(params string[] args)
    {
        var r = Run(["diagnose", .. args]);
        Assert.True(r.ExitCode == 2, $"exit code {r.ExitCode}; stderr: {r.Err}");
        Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", r.Err);
        return new UsageError(r.Err);
    }

    private sealed record UsageError(string Message);

    private static void AssertRelative(double expected, double actual, double tol, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tol * Math.Abs(expected), $"{what}: expected {expected:R}, got {actual:R}");
}
