namespace ActorTrainer.Cli.Tests.Training;

public class BenchCommandTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = await Cli.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Theory]
    [InlineData("--hidden", "0", "--hidden must be a positive integer")]
    [InlineData("--batch", "0", "--batch must be a positive integer")]
    [InlineData("--chunk", "-3", "--chunk must be a positive integer")]
    [InlineData("--corpus", "/nonexistent/corpus.txt", "not found")]
    [InlineData("--warmup", "x", "not an integer")]
    public async Task Bad_shape_or_corpus_is_a_one_line_error(string flag, string value, string expected)
    {
        var (code, _, err) = await Run("bench", "core", flag, value, "--seconds", "0.1");
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public async Task Corpus_shorter_than_b_times_k_plus_one_is_refused()
    {
        string path = Path.Combine(Path.GetTempPath(), $"at-short-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "abcdefghij");
        try
        {
            var (code, _, err) = await Run("bench", "--corpus", path, "--batch", "4", "--chunk", "5", "--seconds", "0.1");
            Assert.Equal(2, code);
            Assert.Contains("fewer than", err);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public async Task Core_bench_prints_tokens_per_second()
    {
        var (code, stdout, err) = await Run("bench", "core", "--hidden", "16", "--batch", "2", "--chunk", "5", "--seconds", "0.2", "--warmup", "1");
        Assert.True(code == 0, err);
        Assert.Matches(@"tok/s=\d+", stdout);
    }

    [Fact]
    public async Task Unknown_mode_is_rejected()
    {
        var (code, _, err) = await Run("bench", "warp");
        Assert.Equal(2, code);
        Assert.Contains("unknown bench mode", err);
    }
}
