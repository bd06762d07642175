using System.Globalization;
using System.Text;

namespace ActorTrainer.Core.Data;

/// <summary>
/// The token set of a character model: the distinct UTF-16 characters of a text, sorted by ordinal
/// value; token i is the i-th character. Immutable. Serialises to a single string (for checkpoint
/// metadata) with <see cref="Serialize"/> / <see cref="Deserialize"/>.
/// </summary>
public sealed class Vocabulary : IEquatable<Vocabulary>
{
    private readonly char[] chars;                  // token → character, ascending ordinal
    private readonly Dictionary<char, int> index;   // character → token

    /// <summary>The distinct characters of <paramref name="chars"/>, sorted. ArgumentException if there are none.</summary>
    public Vocabulary(IEnumerable<char> chars)
    {
        ArgumentNullException.ThrowIfNull(chars);
        var set = new SortedSet<char>(chars, Comparer<char>.Default); // char comparison is ordinal
        if (set.Count == 0) throw new ArgumentException("a vocabulary needs at least one character", nameof(chars));
        this.chars = set.ToArray();
        index = new Dictionary<char, int>(this.chars.Length);
        for (int i = 0; i < this.chars.Length; i++) index[this.chars[i]] = i;
    }

    /// <summary>The vocabulary of a text: its distinct characters sorted by ordinal.</summary>
    public static Vocabulary FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Vocabulary(text);
    }

    /// <summary>Number of tokens (V for the model's input, O for its output).</summary>
    public int Size => chars.Length;

    /// <summary>The characters, token order.</summary>
    public IReadOnlyList<char> Characters => chars;

    /// <summary>The character of token i.</summary>
    public char this[int token] => Decode(token);

    public bool Contains(char c) => index.ContainsKey(c);

    /// <summary>The token of character c; ArgumentException naming the character if it is not in the vocabulary.</summary>
    public int Encode(char c) =>
        index.TryGetValue(c, out int i) ? i
            : throw new ArgumentException($"character {Describe(c)} is not in the vocabulary of {Size} characters", nameof(c));

    /// <summary>Tokens of text, written to destination (same length). Throws on a character outside the vocabulary.</summary>
    public void Encode(ReadOnlySpan<char> text, Span<int> destination)
    {
        if (destination.Length != text.Length)
            throw new ArgumentException($"destination has length {destination.Length} but the text has {text.Length} characters", nameof(destination));
        for (int i = 0; i < text.Length; i++) destination[i] = Encode(text[i]);
    }

    public int[] Encode(ReadOnlySpan<char> text)
    {
        var tokens = new int[text.Length];
        Encode(text, tokens);
        return tokens;
    }

    /// <summary>The character of a token; ArgumentOutOfRangeException outside [0, Size).</summary>
    public char Decode(int token)
    {
        if ((uint)token >= (uint)chars.Length)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token must be in [0, {chars.Length})");
        return chars[token];
    }

    public string Decode(ReadOnlySpan<int> tokens)
    {
        var sb = new StringBuilder(tokens.Length);
        foreach (int t in tokens) sb.Append(Decode(t));
        return sb.ToString();
    }

    /// <summary>
    /// The characters in token order as one string, with '\' written as "\\" and control characters
    /// and surrogates written as "\uXXXX", so the result is always valid text (JSON-safe after the
    /// usual escaping) and readable for ordinary alphabets.
    /// </summary>
    public string Serialize()
    {
        var sb = new StringBuilder(chars.Length + 8);
        foreach (char c in chars)
        {
            if (c == '\\') sb.Append(@"\\");
            else if (char.IsControl(c) || char.IsSurrogate(c)) sb.Append(@"\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Inverse of <see cref="Serialize"/>. FormatException for a malformed string or one whose characters are not distinct and sorted.</summary>
    public static Vocabulary Deserialize(string serialized)
    {
        ArgumentNullException.ThrowIfNull(serialized);
        var list = new List<char>(serialized.Length);
        for (int i = 0; i < serialized.Length; i++)
        {
            char c = serialized[i];
            if (c != '\\') { list.Add(c); continue; }
            if (i + 1 < serialized.Length && serialized[i + 1] == '\\') { list.Add('\\'); i++; continue; }
            if (i + 5 < serialized.Length && serialized[i + 1] == 'u' &&
                ushort.TryParse(serialized.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort code))
            {
                list.Add((char)code); i += 5; continue;
            }
            throw new FormatException($"malformed escape at position {i} of serialized vocabulary");
        }
        for (int i = 1; i < list.Count; i++)
            if (list[i] <= list[i - 1])
                throw new FormatException($"serialized vocabulary is not strictly sorted at position {i} ({Describe(list[i - 1])}, {Describe(list[i])})");
        if (list.Count == 0) throw new FormatException("serialized vocabulary is empty");
        return new Vocabulary(list);
    }

    /// <summary>A character for messages: 'a' (U+0061), '\n' shown as U+000A.</summary>
    public static string Describe(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) ? $"U+{(int)c:X4}" : $"'{c}' (U+{(int)c:X4})";

    public bool Equals(Vocabulary? other) => other is not null && chars.AsSpan().SequenceEqual(other.chars);
    public override bool Equals(object? obj) => Equals(obj as Vocabulary);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (char c in chars) h.Add(c);
        return h.ToHashCode();
    }

    public override string ToString() => $"Vocabulary({Size} chars)";
}
