using ActorTrainer.Cli.Diagnostics;
using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Rnn;
using static ActorTrainer.Cli.Tests.CliHarness;

namespace ActorTrainer.Cli.Tests.Commands;

/// <summary>`sample` on a seeded model written as a checkpoint: what it prints, and that it writes nothing.</summary>
public sealed class SampleCommandTests : IDisposable
{
    private const string Symbols = "abcde \n😀"; // an emoji is one symbol
    private readonly TempDir _dir = new();
    private readonly string _checkpoint;
    private readonly DiagnosedModel _model;

    public SampleCommandTests()
    {
        _model = ModelSource.Fresh(new Vocabulary(Vocabulary.ToRunes(Symbols)), 16, Activation.Tanh, new WhhInit.SpectralRadius(1.5), seed: 3);
        // weights ×30: a peaked softmax, so the state the prime leaves decides the draws, not the uniform's noise
        for (int i = 0; i < _model.W.Length; i++) _model.W[i] *= 30;
        _checkpoint = _dir.File("model.safetensors");
        ModelCheckpoint.Write(_checkpoint, _model.Spec.Shape, _model.W, _model.Vocabulary);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>What `sample` printed, without the line end WriteLine adds.</summary>
    private static string Text(Result r) => r.Out[..^Environment.NewLine.Length];

    [Fact]
    public void The_same_seed_gives_the_same_text_and_another_seed_other_text()
    {
        string[] args = ["sample", "--checkpoint", _checkpoint, "--length", "200", "--temperature", "1"];
        string a = Text(RunOk([.. args, "--seed", "7"]));
        Assert.Equal(a, Text(RunOk([.. args, "--seed", "7"])));
        Assert.NotEqual(a, Text(RunOk([.. args, "--seed", "8"])));
    }

    private const string Prime = "ab😀a ";

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(250)]
    public void Prints_the_prime_then_length_symbols_of_the_model(int length)
    {
        var r = RunOk("sample", "--checkpoint", _checkpoint, "--length", length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--prime", Prime, "--seed", "5", "--temperature", "0.9");
        string text = Text(r);
        Assert.StartsWith(Prime, text);
        Assert.Equal(5 + length, text.EnumerateRunes().Count()); // the prime's 5 symbols, then length more
        Assert.All(text.EnumerateRunes(), c => Assert.Contains(c.ToString(), Symbols));
        // the continuation is the model's, fed the prime: the sampler's draws for the prime's tokens and this seed
        var expected = Sampler.Sample(_model.Spec, _model.W, _model.Vocabulary.Encode(Prime), length, 0.9, new Random(5));
        Assert.Equal(_model.Vocabulary.Decode(expected), text[Prime.Length..]);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void The_prime_changes_what_follows()
    {
        // argmax sampling: no draws, so any difference comes from the state the prime left
        string Continuation(string prime) =>
            Text(RunOk("sample", "--checkpoint", _checkpoint, "--length", "40", "--prime", prime, "--temperature", "0"))[prime.Length..];
        var continuations = new[] { "a", "e", "dddd", "cab ab", "😀" }.Select(Continuation).ToHashSet();
        Assert.True(continuations.Count > 1, "every prime gave the same continuation");
    }

    [Fact]
    public void A_run_directory_samples_its_model_and_nothing_is_written()
    {
        var before = Snapshot();
        string fromDir = Text(RunOk("sample", "--checkpoint", _dir.Path, "--length", "50", "--seed", "2"));
        string fromFile = Text(RunOk("sample", "--checkpoint", _checkpoint, "--length", "50", "--seed", "2"));
        Assert.Equal(fromFile, fromDir);
        Assert.Equal(before, Snapshot());
    }

    private List<(string, long, DateTime)> Snapshot() =>
        Directory.EnumerateFileSystemEntries(_dir.Path, "*", SearchOption.AllDirectories).Order()
            .Select(p => (p, new FileInfo(p).Exists ? new FileInfo(p).Length : -1, File.GetLastWriteTimeUtc(p))).ToList();

    [Theory]
    [InlineData("garbage")]
    [InlineData("empty")]
    [InlineData("missing")]
    [InlineData("nomodel-dir")]
    public void A_bad_checkpoint_is_one_error_line_and_exit_2(string kind)
    {
        string path = _dir.File(kind);
        if (kind == "garbage") File.WriteAllText(path, "this is not a safetensors file, just text that is long enough to have a header length");
        if (kind == "empty") File.WriteAllBytes(path, []);
        if (kind == "nomodel-dir") Directory.CreateDirectory(path);
        var r = Run("sample", "--checkpoint", path, "--length", "10");
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", r.Err);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void A_prime_outside_the_vocabulary_or_no_checkpoint_is_a_usage_error()
    {
        var r = Run("sample", "--checkpoint", _checkpoint, "--prime", "xyz");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: --prime:", r.Err);
        var none = Run("sample", "--length", "3");
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--checkpoint", none.Err);
    }
}
