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
    public async Task Bench_transport_measures_the_tensor_channel_between_two_processes_beside_raw_TCP()
    {
        var (code, o, err) = await Run("bench", "transport", "--parameters", "1000", "--seconds", "0.2", "--akka", "off");
        Assert.True(code == 0, err);
        Assert.Contains("raw TCP loopback:", o);
        Assert.Matches(@"push topk:0\.01 +\d+ B on the wire, payload +80 B, framing \d+ B", o); // 10 of 1000 values, index + value each
        Assert.Matches(@"tensor channel: +\d+ MB/s \([\d.]+ round trips/s\) = \d+% of raw TCP", o);
        Assert.DoesNotContain("akka.remote", o);
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
        var (code, stdout, err) = await Run("bench", "core", "--hidden", "16", "--batch", "2", "--chunk", "5", "--seconds", "0.2", "--warmup", "1", "--warmup-seconds", "0.1");
        Assert.True(code == 0, err);
        Assert.Matches(@"tok/s=\d+", stdout);
    }

    [Fact]
    public async Task Inproc_bench_prints_tokens_per_second_of_the_actor_run()
    {
        var (code, stdout, err) = await Run("bench", "inproc", "--workers", "2", "--hidden", "16", "--batch", "2", "--chunk", "5", "--seconds", "0.5", "--warmup-seconds", "0.1");
        Assert.True(code == 0, err);
        Assert.Matches(@"inproc workers=2 mode=sync .* tok/s=\d+ updates=\d+", stdout);
    }

    [Fact]
    public async Task Workers_bench_interleaves_rounds_and_reports_medians_and_ratios()
    {
        var (code, stdout, err) = await Run("bench", "workers", "--workers", "1,2", "--rounds", "3",
            "--hidden", "16", "--batch", "2", "--chunk", "5", "--seconds", "0.15", "--warmup-seconds", "0.05");
        Assert.True(code == 0, err);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var rounds = lines.Where(l => l.StartsWith("round ")).ToArray();
        Assert.Equal(3, rounds.Count(l => l.Contains(" core tok/s=")));
        Assert.Equal(3, rounds.Count(l => l.Contains(" inproc workers=1 ")));
        Assert.Equal(3, rounds.Count(l => l.Contains(" inproc workers=2 ")));
        double Tok(string line) => double.Parse(System.Text.RegularExpressions.Regex.Match(line, @"tok/s=(\d+)").Groups[1].Value);
        double MedianOf(string marker) => lines.Where(l => l.StartsWith("round") && l.Contains(marker)).Select(Tok).Order().ElementAt(1);
        var one = lines.Single(l => l.StartsWith("median inproc workers=1 "));
        var two = lines.Single(l => l.StartsWith("median inproc workers=2 "));
        Assert.Equal(MedianOf(" inproc workers=1 "), Tok(one));
        Assert.Equal(MedianOf(" inproc workers=2 "), Tok(two));
        var ratio = double.Parse(System.Text.RegularExpressions.Regex.Match(two, @"vs_one_worker=([\d.]+)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ratio - Tok(two) / Tok(one), -0.002, 0.002); // printed to 3 decimals from unrounded medians
        // paired: the median of the rounds' own ratios
        double[] Tokens(string marker) => lines.Where(l => l.StartsWith("round") && l.Contains(marker)).Select(Tok).ToArray();
        double paired = Tokens(" inproc workers=2 ").Zip(Tokens(" inproc workers=1 "), (x, y) => x / y).Order().ElementAt(1);
        var printed = double.Parse(System.Text.RegularExpressions.Regex.Match(two, @"paired_vs_one_worker=([\d.]+)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(printed - paired, -0.002, 0.002);
        Assert.Contains("paired_vs_one_worker=1.000", one);
        // two bare loops at once each round (the host's ceiling for two threads), one chunk time per loop,
        // and the 2 workers against them, paired by round
        var cores = lines.Where(l => l.StartsWith("round") && l.Contains(" cores=2 ")).ToArray();
        Assert.Equal(3, cores.Length);
        Assert.All(cores, l => Assert.Matches(@"chunk_ms=[\d.]+,[\d.]+$", l));
        Assert.All(lines.Where(l => l.StartsWith("round") && l.Contains(" inproc workers=2 ")), l => Assert.Matches(@"per_worker=[\d.]+,[\d.]+$", l));
        Assert.Equal(Tokens(" cores=2 ").Order().ElementAt(1), Tok(lines.Single(l => l.StartsWith("median cores=2 "))));
        double vsCores = Tokens(" inproc workers=2 ").Zip(Tokens(" cores=2 "), (x, y) => x / y).Order().ElementAt(1);
        var printedVsCores = double.Parse(System.Text.RegularExpressions.Regex.Match(two, @"paired_vs_cores=([\d.]+)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(printedVsCores - vsCores, -0.002, 0.002);
    }

    [Theory]
    [InlineData("--mode", "eventual", "unknown value 'eventual'")]
    [InlineData("--max-in-flight", "0", "'0' is not a positive integer or auto")]
    public async Task Workers_bench_refuses_a_bad_mode_or_in_flight_limit(string flag, string value, string expected)
    {
        var (code, _, err) = await Run("bench", "workers", flag, value, "--hidden", "16", "--batch", "2", "--chunk", "5");
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Theory]
    [InlineData("2,4", "must include 1")]
    [InlineData("1,x", "not a positive integer")]
    public async Task Workers_bench_refuses_a_bad_worker_list(string list, string expected)
    {
        var (code, _, err) = await Run("bench", "workers", "--workers", list, "--hidden", "16", "--batch", "2", "--chunk", "5");
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public async Task Unknown_mode_is_rejected()
    {
        var (code, _, err) = await Run("bench", "warp");
        Assert.Equal(2, code);
        Assert.Contains("unknown bench mode", err);
    }
}
