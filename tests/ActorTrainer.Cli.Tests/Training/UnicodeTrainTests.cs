using System.Text;
using System.Text.Json;
using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Data;

namespace ActorTrainer.Cli.Tests.Training;

/// <summary>`train` on a corpus that is not ASCII: emoji (surrogate pairs in UTF-16), CJK, combining marks.</summary>
public sealed class UnicodeTrainTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // e\u0301 is "é" as e + combining acute; 👩‍💻 is three scalar values joined by U+200D.
    private const string Lines =
        "日本語の文章です。😀 今日は🎉！\n" +
        "cafe\u0301 nai\u0308ve 🍣🍜 中文字符 👩\u200D💻\n" +
        "한국어 텍스트 😀🎉🍣 ok\n";

    private string UnicodeCorpus()
    {
        string path = _dir.File("unicode.txt");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat(Lines, 60)), StrictUtf8);
        return path;
    }

    private static readonly string[] Small =
        ["train", "--hidden", "16", "--batch", "2", "--chunk", "8", "--workers", "2", "--progress", "off", "--eval-every", "10"];

    [Fact]
    public void Run_on_emoji_CJK_and_combining_marks_completes_samples_valid_utf8_and_round_trips_its_vocabulary()
    {
        string corpus = UnicodeCorpus();
        string run = _dir.File("run");
        // Temperature 3 after 20 updates: the sample draws from (nearly) every symbol, emoji included.
        var r = CliHarness.Run([.. Small, "--corpus", corpus, "--updates", "20", "--sample", "300", "--temperature", "3", "--out", run]);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}; stderr: {r.Err}");

        var corpusSymbols = File.ReadAllText(corpus).EnumerateRunes().ToHashSet();
        string sample = StrictUtf8.GetString(File.ReadAllBytes(Path.Combine(run, "sample.txt"))); // throws on invalid UTF-8
        var runes = sample.EnumerateRunes().ToList();
        Assert.Equal(301, runes.Count);                                                          // the prime and 300 samples
        Assert.All(runes, c => Assert.True(corpusSymbols.Contains(c), $"sampled U+{c.Value:X4}, not in the corpus"));
        Assert.Contains(runes, c => !c.IsBmp);      // the sample did draw emoji, so whole surrogate pairs were written

        // Every file the run wrote is valid UTF-8 text or a safetensors file with a valid UTF-8 JSON header.
        foreach (string f in Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories))
        {
            Assert.False(f.EndsWith(".tmp", StringComparison.Ordinal), $"temp file left behind: {f}");
            byte[] b = File.ReadAllBytes(f);
            if (f.EndsWith(".safetensors", StringComparison.Ordinal))
                StrictUtf8.GetString(b, 8, (int)BitConverter.ToUInt64(b, 0));
            else if (f.EndsWith(".txt", StringComparison.Ordinal) || f.EndsWith(".csv", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
                StrictUtf8.GetString(b);
        }

        // The vocabulary round-trips through the checkpoint: one token per emoji, V = its size …
        var model = ModelCheckpoint.Read(Path.Combine(run, "model.safetensors"));
        Assert.Equal(CharCorpus.FromFile(corpus).Vocabulary, model.Vocabulary);
        Assert.Equal(corpusSymbols.Count, model.Shape.V);
        string json = SafetensorsFile.Read(Path.Combine(run, "model.safetensors")).Metadata[ModelCheckpoint.VocabularyKey];
        string[] symbols = JsonSerializer.Deserialize<string[]>(json)!;   // what Python's json.loads reads
        Assert.Equal(corpusSymbols.OrderBy(c => c.Value).Select(c => c.ToString()), symbols);
        Assert.Contains("😀", symbols);
        // … and a new run on the same corpus accepts the checkpoint as its starting point.
        var again = CliHarness.Run([.. Small, "--corpus", corpus, "--updates", "2", "--sample", "0", "--init", Path.Combine(run, "model.safetensors"), "--out", _dir.File("again")]);
        Assert.True(again.ExitCode == 0, again.Err);
    }

    [Fact]
    public void Invalid_utf8_corpus_is_one_error_line_exit_2_and_no_run_directory()
    {
        string corpus = _dir.File("bad.txt");
        byte[] text = StrictUtf8.GetBytes("0123456789\n" + string.Concat(Enumerable.Repeat(Lines, 20)));
        text[7] = 0xFF;                          // replaces the ASCII '7': the first bad byte is at offset 7
        File.WriteAllBytes(corpus, text);
        string run = _dir.File("run");

        var r = CliHarness.Run([.. Small, "--corpus", corpus, "--updates", "5", "--out", run]);

        Assert.Equal(2, r.ExitCode);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains("not valid UTF-8", lines[0]);
        Assert.Contains("offset 7", lines[0]);
        Assert.False(Directory.Exists(run));
    }
}
