using System.Text;
using System.Text.Json;
using ActorTrainer.Core.Data;

namespace ActorTrainer.Core.Tests.Data;

public class VocabularyTests
{
    private static Rune R(string s) => Rune.GetRuneAt(s, 0);

    [Fact]
    public void Symbols_are_distinct_and_sorted_by_code_point()
    {
        var v = Vocabulary.FromText("banana\nBA");
        Assert.Equal(new[] { "\n", "A", "B", "a", "b", "n" }, v.Symbols.Select(r => r.ToString()));
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
        Assert.Equal(v.Encode(new Rune('T')), tokens[0]);
        Assert.Equal(new Rune('T'), v[tokens[0]]);
    }

    [Fact]
    public void An_emoji_outside_the_BMP_is_one_symbol_not_two_surrogate_halves()
    {
        // 😀 U+1F600 and 🎉 U+1F389 are surrogate pairs in UTF-16 (2 chars each).
        const string text = "a😀b🎉😀";
        var v = Vocabulary.FromText(text);
        Assert.Equal(4, v.Size);
        Assert.Equal(new[] { 'a', 'b' }.Select(c => new Rune(c)).Concat([R("🎉"), R("😀")]), v.Symbols);
        Assert.DoesNotContain(v.Symbols, r => r.IsBmp && char.IsSurrogate((char)r.Value));
        int[] tokens = v.Encode(text);
        Assert.Equal(5, tokens.Length);                    // five characters, seven UTF-16 units
        Assert.Equal(tokens[1], tokens[4]);
        Assert.Equal(text, v.Decode(tokens));
        Assert.Equal("😀", v.Decode([tokens[1]]));
    }

    [Fact]
    public void CJK_and_combining_marks_are_symbols_of_their_own()
    {
        // "é" written as e + U+0301 (combining acute): two scalar values, so two symbols.
        const string text = "日本語e\u0301";
        var v = Vocabulary.FromText(text);
        Assert.Equal(5, v.Size);
        Assert.Contains(new Rune(0x0301), v.Symbols);
        Assert.Equal(text, v.Decode(v.Encode(text)));
    }

    [Fact]
    public void A_lone_surrogate_is_not_text_and_is_rejected_with_its_position()
    {
        var ex = Assert.Throws<ArgumentException>(() => Vocabulary.FromText("ab\uD83D"));
        Assert.Contains("U+D83D", ex.Message);
        Assert.Contains("index 2", ex.Message);
        Assert.Throws<ArgumentException>(() => Vocabulary.FromText("a\uDE00b"));
        Assert.Throws<ArgumentException>(() => Vocabulary.FromText("ab").Encode("a\uD83D"));
    }

    [Fact]
    public void Unknown_character_is_named_in_the_error()
    {
        var v = Vocabulary.FromText("abc");
        var ex = Assert.Throws<ArgumentException>(() => v.Encode("abz"));
        Assert.Contains("'z'", ex.Message);
        Assert.Contains("U+1F600", Assert.Throws<ArgumentException>(() => v.Encode("a😀")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Decode(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Decode(-1));
    }

    [Fact]
    public void Json_form_is_an_array_of_one_symbol_strings_in_token_order()
    {
        var v = Vocabulary.FromText("b\na😀\"\\");
        string json = v.ToJson();
        // What any JSON reader (Python's json.loads) sees: plain strings, no custom escapes.
        string[] items = JsonSerializer.Deserialize<string[]>(json)!;
        Assert.Equal(new[] { "\n", "\"", "\\", "a", "b", "😀" }, items);
        Assert.Equal(v, Vocabulary.FromJson(json));
    }

    [Fact]
    public void Json_round_trips_controls_combining_marks_CJK_and_emoji()
    {
        var v = Vocabulary.FromText("x\\\"é\n\t\r\u007F\u0000e\u0301日本😀🎉\u2028");
        var back = Vocabulary.FromJson(v.ToJson());
        Assert.Equal(v, back);
        Assert.Equal(v.Symbols, back.Symbols);
    }

    [Theory]
    [InlineData("[\"b\",\"a\"]")]          // not sorted
    [InlineData("[\"a\",\"a\"]")]          // not distinct
    [InlineData("[\"ab\"]")]               // two symbols in one entry
    [InlineData("[\"\"]")]                 // no symbol
    [InlineData("[\"\\uD83D\"]")]          // a lone surrogate
    [InlineData("[null]")]
    [InlineData("[]")]
    [InlineData("abc")]                     // not JSON
    [InlineData("{\"a\":1}")]               // not an array
    public void Malformed_json_vocabulary_is_rejected(string json)
    {
        Assert.Throws<FormatException>(() => Vocabulary.FromJson(json));
    }

    [Fact]
    public void Legacy_string_form_without_surrogates_reads_as_the_same_vocabulary()
    {
        // As the old Serialize wrote "\n\\ab": newline escaped, backslash doubled.
        var v = Vocabulary.FromLegacyString("\\u000A\\\\ab");
        Assert.Equal(Vocabulary.FromText("\n\\ab"), v);
    }

    [Fact]
    public void Legacy_string_form_with_surrogate_halves_is_refused_with_a_reason()
    {
        // The old vocabulary of "a😀" stored the two halves of the emoji as two tokens.
        var ex = Assert.Throws<FormatException>(() => Vocabulary.FromLegacyString("a\\uD83D\\uDE00"));
        Assert.Contains("surrogate", ex.Message);
    }

    [Theory]
    [InlineData("ba")]          // not sorted
    [InlineData("aab")]         // not distinct
    [InlineData("ab\\q")]       // bad escape
    [InlineData("ab\\u00")]     // truncated escape
    [InlineData("")]
    public void Malformed_legacy_vocabulary_is_rejected(string s)
    {
        Assert.Throws<FormatException>(() => Vocabulary.FromLegacyString(s));
    }

    [Fact]
    public void Empty_vocabulary_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Vocabulary.FromText(""));
    }

    [Fact]
    public void Equality_is_by_symbols()
    {
        Assert.Equal(Vocabulary.FromText("abc"), Vocabulary.FromText("cba"));
        Assert.Equal(Vocabulary.FromText("abc").GetHashCode(), Vocabulary.FromText("cab").GetHashCode());
        Assert.NotEqual(Vocabulary.FromText("abc"), Vocabulary.FromText("abd"));
        Assert.NotEqual(Vocabulary.FromText("a😀"), Vocabulary.FromText("a😁"));
    }
}
