using ActorTrainer.Core.Data;

namespace ActorTrainer.Core.Tests.Data;

public class VocabularyTests
{
    [Fact]
    public void Characters_are_distinct_and_sorted_by_ordinal()
    {
        var v = Vocabulary.FromText("banana\nBA");
        Assert.Equal(new[] { '\n', 'A', 'B', 'a', 'b', 'n' }, v.Characters);
        Assert.Equal(6, v.Size);
    }

    [Fact]
    public void Encode_then_decode_gives_the_text_back()
    {
        const string text = "To be, or not to be?\nThat is the question.";
        var v = Vocabulary.FromText(text);
        int[] tokens = v.Encode(text);
        Assert.All(tokens, t => Assert.InRange(t, 0, v.Size - 1));
        Assert.Equal(text, v.Decode(tokens));
        Assert.Equal(v.Encode('T'), tokens[0]);
        Assert.Equal('T', v[tokens[0]]);
    }

    [Fact]
    public void Unknown_character_is_named_in_the_error()
    {
        var v = Vocabulary.FromText("abc");
        var ex = Assert.Throws<ArgumentException>(() => v.Encode("abz"));
        Assert.Contains("'z'", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Decode(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Decode(-1));
    }

    [Fact]
    public void Serialized_form_of_plain_characters_is_readable()
    {
        Assert.Equal(" .Tabc", Vocabulary.FromText("cab. T").Serialize());
    }

    [Fact]
    public void Serialization_round_trips_escapes_controls_and_lone_surrogates()
    {
        // An emoji split into its two UTF-16 halves becomes two lone-surrogate tokens.
        var v = Vocabulary.FromText("x\\\"é\n\t\r\u007F\U0001F600u0041");
        string s = v.Serialize();
        Assert.DoesNotContain(s, char.IsSurrogate);
        Assert.DoesNotContain(s, char.IsControl);
        var back = Vocabulary.Deserialize(s);
        Assert.Equal(v, back);
        Assert.Equal(v.Characters, back.Characters);
    }

    [Theory]
    [InlineData("ba")]          // not sorted
    [InlineData("aab")]         // not distinct
    [InlineData("ab\\q")]       // bad escape
    [InlineData("ab\\u00")]     // truncated escape
    [InlineData("")]
    public void Malformed_serialized_vocabulary_is_rejected(string s)
    {
        Assert.Throws<FormatException>(() => Vocabulary.Deserialize(s));
    }

    [Fact]
    public void Empty_vocabulary_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Vocabulary.FromText(""));
    }

    [Fact]
    public void Equality_is_by_characters()
    {
        Assert.Equal(Vocabulary.FromText("abc"), Vocabulary.FromText("cba"));
        Assert.Equal(Vocabulary.FromText("abc").GetHashCode(), Vocabulary.FromText("cab").GetHashCode());
        Assert.NotEqual(Vocabulary.FromText("abc"), Vocabulary.FromText("abd"));
    }
}
