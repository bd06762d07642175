using System.Text;

namespace ActorTrainer.Core.Data;

/// <summary>
/// The product's zero-argument corpus: English-like prose generated from a small probabilistic
/// grammar with a fixed seed, so it needs no file and is identical everywhere. About 300 KB,
/// a vocabulary of under 50 characters (lower-case letters, a few capitals, space, newline and
/// . , ; ! ?), frequent words and short sentence patterns — a char-RNN visibly learns its
/// spelling and punctuation within a minute.
/// The text: paragraphs of 3–7 sentences in one tense, word-wrapped at 64 columns, separated by
/// blank lines. Sentences: plain clauses with optional adjectives, prepositional phrases, adverbs,
/// relative clauses and openers; compounds joined by ", and" / ", but" / ";"; questions; exclamations.
/// </summary>
public static class DefaultCorpus
{
    public const int Seed = 1_000_003;
    public const int MinLength = 300_000;
    public const string SourceName = "built-in English-like corpus";

    private static readonly Lazy<string> text = new(() => Generate(Seed, MinLength));

    /// <summary>The default text (generated once per process).</summary>
    public static string Text => text.Value;

    /// <summary>The default corpus split into training and validation text.</summary>
    public static CharCorpus Load(double validationFraction = CharCorpus.DefaultValidationFraction) =>
        CharCorpus.FromText(Text, validationFraction, SourceName);

    /// <summary>Generates whole paragraphs until at least minLength characters; deterministic in seed.</summary>
    public static string Generate(int seed, int minLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minLength);
        var g = new Grammar(new SplitMix64((ulong)seed));
        var sb = new StringBuilder(minLength + 1024);
        while (sb.Length < minLength)
        {
            if (sb.Length > 0) sb.Append('\n');
            AppendWrapped(sb, g.Paragraph(), width: 64);
        }
        return sb.ToString();
    }

    /// <summary>Appends words separated by single spaces, breaking lines before width is exceeded; ends with a newline.</summary>
    private static void AppendWrapped(StringBuilder sb, string paragraph, int width)
    {
        int column = 0;
        foreach (string word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (column > 0 && column + 1 + word.Length > width) { sb.Append('\n'); column = 0; }
            if (column > 0) { sb.Append(' '); column++; }
            sb.Append(word);
            column += word.Length;
        }
        sb.Append('\n');
    }

    /// <summary>The grammar: word lists and productions. Picks favour earlier list entries (a Zipf-like skew).</summary>
    private sealed class Grammar(SplitMix64 rng)
    {
        private static readonly string[] Nouns =
        [
            "king", "river", "garden", "child", "fox", "house", "sailor", "lamp", "door", "bird", "village",
            "forest", "window", "queen", "stone", "boat", "road", "mountain", "teacher", "farmer", "baker",
            "dog", "cat", "song", "book", "key", "bridge", "candle", "friend", "ship", "tree", "field",
            "market", "wolf", "owl", "apple", "coat", "wall", "letter", "horse",
        ];

        private static readonly string[] Names = ["Anna", "Tom", "Mara", "Oliver", "Lucy", "Henry", "Rosa", "Peter", "Nina", "Sam"];

        private static readonly string[] Adjectives =
        [
            "old", "little", "quiet", "small", "bright", "dark", "young", "heavy", "green", "red", "golden",
            "cold", "warm", "gentle", "strange", "happy", "tired", "brave", "wild", "silver", "lazy",
            "clever", "quick", "broken",
        ];

        private static readonly string[] Determiners = ["the", "the", "the", "a", "my", "his", "her", "our", "that", "this", "every"];

        // base, third person singular, past
        private static readonly (string Base, string Present, string Past)[] Transitive =
        [
            ("see", "sees", "saw"), ("find", "finds", "found"), ("carry", "carries", "carried"),
            ("watch", "watches", "watched"), ("follow", "follows", "followed"), ("hold", "holds", "held"),
            ("open", "opens", "opened"), ("bring", "brings", "brought"), ("want", "wants", "wanted"),
            ("love", "loves", "loved"), ("keep", "keeps", "kept"), ("visit", "visits", "visited"),
            ("build", "builds", "built"), ("take", "takes", "took"), ("remember", "remembers", "remembered"),
            ("paint", "paints", "painted"), ("touch", "touches", "touched"), ("leave", "leaves", "left"),
            ("call", "calls", "called"), ("read", "reads", "read"),
        ];

        private static readonly (string Base, string Present, string Past)[] Intransitive =
        [
            ("sleep", "sleeps", "slept"), ("sing", "sings", "sang"), ("wait", "waits", "waited"),
            ("walk", "walks", "walked"), ("laugh", "laughs", "laughed"), ("run", "runs", "ran"),
            ("dream", "dreams", "dreamed"), ("rest", "rests", "rested"), ("shine", "shines", "shone"),
            ("fall", "falls", "fell"),
        ];

        private static readonly string[] Prepositions = ["in", "near", "by", "under", "across", "behind", "over", "into", "on", "with"];
        private static readonly string[] Adverbs = ["slowly", "softly", "again", "today", "quickly", "carefully", "alone", "together", "at night", "every day"];
        private static readonly string[] Openers = ["In the morning", "At night", "Later", "Then", "After the rain", "Before dawn", "One day", "At last"];
        private static readonly string[] Joiners = [", and", ", but", ";", ", so"];

        private bool past;

        public string Paragraph()
        {
            past = rng.Chance(0.5);
            int sentences = 3 + rng.Next(5);
            var parts = new List<string>(sentences);
            for (int i = 0; i < sentences; i++) parts.Add(Sentence());
            return string.Join(' ', parts);
        }

        private string Sentence()
        {
            double r = rng.NextDouble();
            string s = r switch
            {
                < 0.45 => Clause() + ".",
                < 0.60 => Opener() + ", " + Clause() + ".",
                < 0.75 => Clause() + Pick(Joiners) + " " + Clause() + ".",
                < 0.87 => Question(),
                _ => Exclamation(),
            };
            return Capitalise(s);
        }

        private string Clause()
        {
            string subject = NounPhrase();
            if (rng.Chance(0.15)) subject += " who " + Verb(Pick(Transitive)) + " " + NounPhrase();
            string clause = rng.Chance(0.65)
                ? subject + " " + Verb(Pick(Transitive)) + " " + NounPhrase()
                : subject + " " + Verb(Pick(Intransitive));
            if (rng.Chance(0.35)) clause += " " + Pick(Prepositions) + " " + NounPhrase(allowName: false);
            if (rng.Chance(0.25)) clause += " " + Pick(Adverbs);
            return clause;
        }

        private string Question()
        {
            double r = rng.NextDouble();
            if (r < 0.5) return (past ? "did " : "does ") + NounPhrase() + " " + Pick(Transitive).Base + " " + NounPhrase() + "?";
            if (r < 0.8) return "where " + (past ? "was " : "is ") + NounPhrase() + "?";
            return "who " + Verb(Pick(Transitive)) + " " + NounPhrase() + "?";
        }

        private string Exclamation()
        {
            if (rng.Chance(0.5))
            {
                string adjective = Pick(Adjectives);
                return "what " + Article(adjective) + " " + adjective + " " + Pick(Nouns) + "!";
            }
            return "how " + Pick(Adjectives) + " the " + Pick(Nouns) + (past ? " was!" : " is!");
        }

        private string Opener() => Pick(Openers);

        private string NounPhrase(bool allowName = true)
        {
            if (allowName && rng.Chance(0.2)) return Pick(Names);
            string det = Pick(Determiners);
            string rest = Pick(Nouns);
            if (rng.Chance(0.45)) rest = Pick(Adjectives) + " " + rest;
            if (det == "a") det = Article(rest);
            return det + " " + rest;
        }

        private string Verb((string Base, string Present, string Past) v) => past ? v.Past : v.Present;

        private static string Article(string next) => "aeiou".Contains(next[0]) ? "an" : "a";

        private static string Capitalise(string s) => char.ToUpperInvariant(s[0]) + s[1..];

        /// <summary>Index ⌊n·u²⌋: earlier entries come up more often, as in real text.</summary>
        private T Pick<T>(T[] items)
        {
            double u = rng.NextDouble();
            return items[(int)(items.Length * u * u)];
        }
    }
}
