using System.Text;
using ActorTrainer.Core.Data;

namespace ActorTrainer.Core.Tests.Data;

public sealed class CharCorpusTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("corpus-tests-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Validation_is_the_last_fraction_and_training_the_rest()
    {
        string text = string.Concat(Enumerable.Range(0, 100).Select(i => (char)('a' + i % 26)));
        var c = CharCorpus.FromText(text, 0.1);
        Assert.Equal(90, c.TrainTokens.Length);
        Assert.Equal(10, c.ValidationTokens.Length);
        Assert.Equal(text[..90], c.TrainingText);
        Assert.Equal(text[90..], c.ValidationText);
        Assert.Equal(text[90..], c.Vocabulary.Decode(c.ValidationTokens.Span));
        Assert.Equal(text[..90], c.Vocabulary.Decode(c.TrainTokens.Span));
    }

    [Fact]
    public void Vocabulary_covers_characters_that_only_occur_in_validation()
    {
        var c = CharCorpus.FromText("aaaaaaaaaaaaaaaaaaaZ", 0.1);
        Assert.True(c.Vocabulary.Contains(new Rune('Z')));
        Assert.DoesNotContain(c.Vocabulary.Encode(new Rune('Z')), c.TrainTokens.ToArray());
        Assert.Contains(c.Vocabulary.Encode(new Rune('Z')), c.ValidationTokens.ToArray());
    }

    [Fact]
    public void Zero_fraction_keeps_everything_for_training()
    {
        var c = CharCorpus.FromText("hello", 0);
        Assert.Equal(5, c.TrainTokens.Length);
        Assert.True(c.ValidationTokens.IsEmpty);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Fraction_outside_zero_to_one_is_rejected(double f)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CharCorpus.FromText("hello", f));
    }

    [Fact]
    public void Reads_a_utf8_file()
    {
        string path = Path.Combine(dir, "t.txt");
        File.WriteAllText(path, "héllo wörld\n");
        var c = CharCorpus.FromFile(path, 0);
        Assert.Equal("héllo wörld\n", c.Text);
        Assert.Equal(Path.GetFullPath(path), c.Source);
    }

    [Fact]
    public void Missing_file_gives_a_data_exception_with_the_full_path()
    {
        string path = Path.Combine(dir, "nope", "missing.txt");
        var ex = Assert.Throws<DataException>(() => CharCorpus.FromFile(path));
        Assert.Contains("not found", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Empty_file_gives_a_data_exception()
    {
        string path = Path.Combine(dir, "empty.txt");
        File.WriteAllText(path, "");
        var ex = Assert.Throws<DataException>(() => CharCorpus.FromFile(path));
        Assert.Contains("empty", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Directory_instead_of_file_gives_a_data_exception()
    {
        var ex = Assert.Throws<DataException>(() => CharCorpus.FromFile(dir));
        Assert.Contains("directory", ex.Message);
    }

    [Fact]
    public void Unreadable_file_gives_a_data_exception()
    {
        // Root ignores permission bits, so make the file unreadable with an exclusive lock instead
        // (.NET takes an advisory lock for FileShare.None on Unix and an OS share lock on Windows).
        string path = Path.Combine(dir, "locked.txt");
        File.WriteAllText(path, "abc");
        using var holder = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        var ex = Assert.Throws<DataException>(() => CharCorpus.FromFile(path));
        Assert.Contains("cannot read", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Empty_text_is_rejected()
    {
        Assert.Throws<DataException>(() => CharCorpus.FromText(""));
    }

    [Fact]
    public void Tiny_shakespeare_loads_with_its_whole_text_vocabulary()
    {
        string path = RepoData.TinyShakespeare();
        var c = CharCorpus.FromFile(path);
        string text = File.ReadAllText(path);
        Assert.Equal(Vocabulary.FromText(text), c.Vocabulary);
        Assert.Equal(text.Length, c.TrainTokens.Length + c.ValidationTokens.Length);
        Assert.Equal((int)Math.Floor(text.Length * 0.1), c.ValidationTokens.Length);
    }

    [Fact]
    public void Split_counts_characters_not_utf16_units_and_never_cuts_an_emoji()
    {
        // 10 characters, 16 UTF-16 units: with fraction 0.5 the split falls after the 5th character,
        // which is inside the 3rd emoji's surrogate pair if UTF-16 units were counted.
        const string text = "😀a😀b😀c😀d😀e";
        var c = CharCorpus.FromText(text, 0.5);
        Assert.Equal(5, c.TrainTokens.Length);
        Assert.Equal(5, c.ValidationTokens.Length);
        Assert.Equal("😀a😀b😀", c.TrainingText);
        Assert.Equal("c😀d😀e", c.ValidationText);
        Assert.Equal(c.TrainingText, c.Vocabulary.Decode(c.TrainTokens.Span));
        Assert.Equal(c.ValidationText, c.Vocabulary.Decode(c.ValidationTokens.Span));
    }

    [Fact]
    public void Text_with_a_lone_surrogate_gives_a_data_exception()
    {
        var ex = Assert.Throws<DataException>(() => CharCorpus.FromText("ab\uD83Dcd", 0, "s"));
        Assert.Contains("not valid Unicode", ex.Message);
    }

    [Fact]
    public void Reads_a_utf8_file_with_emoji_CJK_and_combining_marks()
    {
        string path = Path.Combine(dir, "u.txt");
        const string text = "日本語 e\u0301 😀🎉\n";
        File.WriteAllText(path, text, new UTF8Encoding(true));   // with a BOM, which is not text
        var c = CharCorpus.FromFile(path, 0);
        Assert.Equal(text, c.Text);
        Assert.Equal(text.EnumerateRunes().Count(), c.TrainTokens.Length);
    }

    [Theory]
    [InlineData(new byte[] { 0x61, 0x62, 0xFF, 0x63 }, 2)]             // a byte that never occurs in UTF-8
    [InlineData(new byte[] { 0x61, 0xF0, 0x9F, 0x98 }, 1)]             // an emoji cut short at the end
    [InlineData(new byte[] { 0x61, 0x62, 0x63, 0xED, 0xA0, 0xBD }, 3)] // an encoded surrogate (CESU-8)
    public void Invalid_utf8_gives_a_data_exception_naming_the_offset(byte[] bytes, int offset)
    {
        string path = Path.Combine(dir, "bad.txt");
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<DataException>(() => CharCorpus.FromFile(path));
        Assert.Contains("not valid UTF-8", ex.Message);
        Assert.Contains($"offset {offset}", ex.Message);
        Assert.Contains(path, ex.Message);
    }
}
