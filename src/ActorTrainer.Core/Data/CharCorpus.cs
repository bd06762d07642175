using System.Text;

namespace ActorTrainer.Core.Data;

/// <summary>
/// A character corpus: the whole text, its <see cref="Vocabulary"/> (built over the WHOLE text, so
/// validation never meets an unknown character), and a split into training tokens (the first part)
/// and held-out validation tokens (the last ⌊N·fraction⌋ characters). Immutable.
/// </summary>
public sealed class CharCorpus
{
    public const double DefaultValidationFraction = 0.1;

    /// <summary>Where the text came from (a file path, or a description such as the built-in corpus name).</summary>
    public string Source { get; }
    public string Text { get; }
    public Vocabulary Vocabulary { get; }
    public double ValidationFraction { get; }

    /// <summary>Training tokens: Text[0, N − n_val).</summary>
    public ReadOnlyMemory<int> TrainTokens { get; }

    /// <summary>Validation tokens: the last n_val = ⌊N·ValidationFraction⌋ characters of Text (may be empty).</summary>
    public ReadOnlyMemory<int> ValidationTokens { get; }

    public string TrainingText => Text[..TrainTokens.Length];
    public string ValidationText => Text[TrainTokens.Length..];

    private CharCorpus(string source, string text, double validationFraction)
    {
        Source = source;
        Text = text;
        ValidationFraction = validationFraction;
        Vocabulary = Vocabulary.FromText(text);
        int[] all = Vocabulary.Encode(text);
        int nVal = (int)Math.Floor(all.Length * validationFraction);
        TrainTokens = all.AsMemory(0, all.Length - nVal);
        ValidationTokens = all.AsMemory(all.Length - nVal);
    }

    /// <summary>
    /// Corpus over a text. DataException if the text is empty; ArgumentOutOfRangeException unless
    /// 0 ≤ validationFraction &lt; 1.
    /// </summary>
    public static CharCorpus FromText(string text, double validationFraction = DefaultValidationFraction, string source = "text")
    {
        ArgumentNullException.ThrowIfNull(text);
        ValidateFraction(validationFraction);
        if (text.Length == 0) throw new DataException($"corpus '{source}' is empty: there is nothing to train on");
        return new CharCorpus(source, text, validationFraction);
    }

    /// <summary>
    /// Corpus over a UTF-8 text file. DataException (with the full path) when the file does not exist,
    /// is a directory, is empty or cannot be read.
    /// </summary>
    public static CharCorpus FromFile(string path, double validationFraction = DefaultValidationFraction)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ValidateFraction(validationFraction);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new DataException($"corpus path '{full}' is a directory; give the path of a text file");
        string text;
        try
        {
            text = File.ReadAllText(full, Encoding.UTF8);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataException($"corpus file not found: '{full}'", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"cannot read corpus file '{full}': {e.Message}", e);
        }
        if (text.Length == 0) throw new DataException($"corpus file '{full}' is empty: there is nothing to train on");
        return new CharCorpus(full, text, validationFraction);
    }

    private static void ValidateFraction(double f)
    {
        if (!(f >= 0 && f < 1))
            throw new ArgumentOutOfRangeException("validationFraction", f, "validation fraction must be in [0, 1)");
    }

    public override string ToString() =>
        $"{Source}: {Text.Length} chars, V={Vocabulary.Size}, train {TrainTokens.Length}, validation {ValidationTokens.Length}";
}
