using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ActorTrainer.Core.Data;

/// <summary>
/// The token set of a character model: the distinct Unicode scalar values (<see cref="Rune"/>s) of a
/// text, sorted by code point; token i is the i-th symbol. An emoji outside the BMP is one symbol,
/// never two UTF-16 halves; a combining mark is a symbol of its own (no grapheme clustering).
/// Immutable. Stored in checkpoints as a JSON array of one-symbol strings (<see cref="ToJson"/>).
/// </summary>
public sealed class Vocabulary : IEquatable<Vocabulary>
{
    private readonly Rune[] symbols;                // token → symbol, ascending code point
    private readonly Dictionary<Rune, int> index;   // symbol → token

    /// <summary>The distinct symbols given, sorted. ArgumentException if there are none.</summary>
    public Vocabulary(IEnumerable<Rune> symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        var set = new SortedSet<Rune>(symbols); // Rune compares by scalar value
        if (set.Count == 0) throw new ArgumentException("a vocabulary needs at least one symbol", nameof(symbols));
        this.symbols = set.ToArray();
        index = new Dictionary<Rune, int>(this.symbols.Length);
        for (int i = 0; i < this.symbols.Length; i++) index[this.symbols[i]] = i;
    }

    /// <summary>The vocabulary of a text: its distinct scalar values sorted. ArgumentException on a lone surrogate.</summary>
    public static Vocabulary FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Vocabulary(ToRunes(text));
    }

    /// <summary>
    /// The scalar values of a UTF-16 text, in order (one per BMP character or surrogate pair).
    /// ArgumentException naming the position of a lone surrogate, which is not text.
    /// </summary>
    public static Rune[] ToRunes(ReadOnlySpan<char> text)
    {
        var runes = new List<Rune>(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            if (Rune.DecodeFromUtf16(text[i..], out Rune r, out int used) != System.Buffers.OperationStatus.Done)
                throw new ArgumentException($"text has a lone surrogate U+{(int)text[i]:X4} at UTF-16 index {i}; it is not valid Unicode", nameof(text));
            runes.Add(r);
            i += used;
        }
        return runes.ToArray();
    }

    /// <summary>Number of tokens (V for the model's input, O for its output).</summary>
    public int Size => symbols.Length;

    /// <summary>The symbols, token order.</summary>
    public IReadOnlyList<Rune> Symbols => symbols;

    /// <summary>The symbol of token i.</summary>
    public Rune this[int token] => Decode(token);

    public bool Contains(Rune r) => index.ContainsKey(r);

    /// <summary>The token of symbol r; ArgumentException naming the symbol if it is not in the vocabulary.</summary>
    public int Encode(Rune r) =>
        index.TryGetValue(r, out int i) ? i
            : throw new ArgumentException($"character {Describe(r)} is not in the vocabulary of {Size} characters", nameof(r));

    /// <summary>Tokens of symbols, one each. Throws on a symbol outside the vocabulary.</summary>
    public int[] Encode(ReadOnlySpan<Rune> text)
    {
        var tokens = new int[text.Length];
        for (int i = 0; i < text.Length; i++) tokens[i] = Encode(text[i]);
        return tokens;
    }

    /// <summary>Tokens of a text, one per scalar value (so fewer than text.Length when it has surrogate pairs).
    /// ArgumentException on a lone surrogate or a symbol outside the vocabulary.</summary>
    public int[] Encode(ReadOnlySpan<char> text) => Encode(ToRunes(text));

    /// <summary>The symbol of a token; ArgumentOutOfRangeException outside [0, Size).</summary>
    public Rune Decode(int token)
    {
        if ((uint)token >= (uint)symbols.Length)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token must be in [0, {symbols.Length})");
        return symbols[token];
    }

    /// <summary>The text of tokens: always well-formed UTF-16 (each token is a whole scalar value).</summary>
    public string Decode(ReadOnlySpan<int> tokens)
    {
        var sb = new StringBuilder(tokens.Length);
        foreach (int t in tokens) sb.Append(Decode(t));
        return sb.ToString();
    }

    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The symbols in token order as a JSON array of strings, one symbol each: <c>["\n"," ","a","😀"]</c>.
    /// Python reads it with <c>json.loads</c>; token i is element i.
    /// </summary>
    public string ToJson() => JsonSerializer.Serialize(symbols.Select(r => r.ToString()).ToArray(), Json);

    /// <summary>Inverse of <see cref="ToJson"/>. FormatException unless it is a non-empty JSON array of strings
    /// of exactly one scalar value each, distinct and sorted.</summary>
    public static Vocabulary FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        string[]? items;
        try { items = JsonSerializer.Deserialize<string[]>(json); }
        catch (JsonException e) { throw new FormatException($"vocabulary is not a JSON array of strings: {e.Message}", e); }
        if (items is null || items.Length == 0) throw new FormatException("vocabulary is empty");
        var list = new List<Rune>(items.Length);
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i] is not { } s || Rune.DecodeFromUtf16(s, out Rune r, out int used) != System.Buffers.OperationStatus.Done || used != s.Length)
                throw new FormatException($"vocabulary entry {i} is not exactly one Unicode scalar value");
            list.Add(r);
        }
        return FromSortedList(list);
    }

    /// <summary>
    /// The vocabulary string of checkpoints written before the JSON form (format actortrainer-elman-1):
    /// UTF-16 characters in order, '\' written as "\\", controls and surrogates as "\uXXXX". Those that
    /// hold surrogate halves (a corpus with emoji) are refused with a FormatException: their tokens
    /// were half symbols, which no Rune vocabulary can reproduce.
    /// </summary>
    public static Vocabulary FromLegacyString(string serialized)
    {
        ArgumentNullException.ThrowIfNull(serialized);
        var list = new List<Rune>(serialized.Length);
        for (int i = 0; i < serialized.Length; i++)
        {
            char c = serialized[i];
            if (c == '\\')
            {
                if (i + 1 < serialized.Length && serialized[i + 1] == '\\') { c = '\\'; i++; }
                else if (i + 5 < serialized.Length && serialized[i + 1] == 'u' &&
                         ushort.TryParse(serialized.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort code))
                {
                    c = (char)code; i += 5;
                }
                else throw new FormatException($"malformed escape at position {i} of serialized vocabulary");
            }
            if (char.IsSurrogate(c))
                throw new FormatException($"the vocabulary holds half of a surrogate pair (U+{(int)c:X4}): it was written by a version that split emoji into two tokens; train the model again");
            list.Add(new Rune(c));
        }
        if (list.Count == 0) throw new FormatException("serialized vocabulary is empty");
        return FromSortedList(list);
    }

    private static Vocabulary FromSortedList(List<Rune> list)
    {
        for (int i = 1; i < list.Count; i++)
            if (list[i] <= list[i - 1])
                throw new FormatException($"serialized vocabulary is not strictly sorted at position {i} ({Describe(list[i - 1])}, {Describe(list[i])})");
        return new Vocabulary(list);
    }

    /// <summary>A symbol for messages: 'a' (U+0061), '😀' (U+1F600); controls, marks and spaces other than ' ' as U+XXXX only.</summary>
    public static string Describe(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.NonSpacingMark
            or UnicodeCategory.EnclosingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
            || (Rune.IsWhiteSpace(r) && r.Value != ' ')
            ? $"U+{r.Value:X4}" : $"'{r}' (U+{r.Value:X4})";

    public bool Equals(Vocabulary? other) => other is not null && symbols.AsSpan().SequenceEqual(other.symbols);
    public override bool Equals(object? obj) => Equals(obj as Vocabulary);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (Rune r in symbols) h.Add(r.Value);
        return h.ToHashCode();
    }

    public override string ToString() => $"Vocabulary({Size} symbols)";
}
