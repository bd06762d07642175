using ActorTrainer.Core.Data;

namespace ActorTrainer.Core.Tests.Data;

public class DefaultCorpusTests
{
    [Fact]
    public void Generation_is_deterministic_for_a_seed()
    {
        Assert.Equal(DefaultCorpus.Generate(5, 20_000), DefaultCorpus.Generate(5, 20_000));
        Assert.NotEqual(DefaultCorpus.Generate(5, 20_000), DefaultCorpus.Generate(6, 20_000));
        Assert.Equal(DefaultCorpus.Generate(DefaultCorpus.Seed, DefaultCorpus.MinLength), DefaultCorpus.Text);
    }

    [Fact]
    public void Default_text_is_a_few_hundred_kilobytes_with_a_small_vocabulary()
    {
        string text = DefaultCorpus.Text;
        Assert.InRange(text.Length, 200_000, 400_000);
        Assert.InRange(Vocabulary.FromText(text).Size, 35, 50);
        Assert.All(text, c => Assert.True(c < 128, $"non-ASCII character U+{(int)c:X4}"));
    }

    [Fact]
    public void Text_has_wrapped_lines_paragraphs_and_capitalised_sentences()
    {
        string text = DefaultCorpus.Text;
        string[] lines = text.Split('\n');
        Assert.All(lines, l => Assert.True(l.Length <= 64, $"line longer than 64: '{l}'"));
        Assert.Contains("\n\n", text);
        Assert.True(char.IsUpper(text[0]));
        int sentenceStarts = 0;
        for (int i = 0; i + 2 < text.Length; i++)
        {
            if (text[i] is '.' or '?' or '!' && text[i + 1] is ' ' or '\n')
            {
                int j = i + 1;
                while (j < text.Length && text[j] is ' ' or '\n') j++;
                if (j < text.Length) { Assert.True(char.IsUpper(text[j]), $"lower-case sentence start at {j}"); sentenceStarts++; }
            }
        }
        Assert.True(sentenceStarts > 1000);
        foreach (string mark in new[] { ". ", ", ", "? ", "! " })
            Assert.Contains(mark, text);
    }

    [Fact]
    public void Loads_as_a_corpus_with_a_validation_split()
    {
        var c = DefaultCorpus.Load();
        Assert.Equal(DefaultCorpus.SourceName, c.Source);
        Assert.Equal(DefaultCorpus.Text.Length, c.TrainTokens.Length + c.ValidationTokens.Length);
        Assert.True(c.ValidationTokens.Length > 0);
    }
}
