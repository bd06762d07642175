using System.Text;

namespace ActorTrainer.Core.Data;

/// <summary>
/// A character corpus: the whole text, its <see cref="Vocabulary"/> (built over the WHOLE text, so
/// validation never meets an unknown character), and a split into training tokens (the first part)
/// and held-out validation tokens (the last ⌊N·fraction⌋ characters). A character is a Unicode scalar
/// value (<see cref="System.Text.Rune"/>): N counts those, not UTF-16 code units, so the split never
/// cuts an emoji in two. Immutable.
/// </summary>
public sealed class CharCorpus
{
    public const double DefaultValidationFraction = 0.1;

    /// <summary>Where the text came from (a file path, or a description such as the built-in corpus name).</summary>
    public string Source { get; }
    public string Text { get; }
    public Vocabulary Vocabulary { get; }
    public double ValidationFraction { get; }

    /// <summary>Training tokens: the first N − n_val characters of Text.</summary>
    public ReadOnlyMemory<int> TrainTokens { get; }

    /// <summary>Validation tokens: the last n_val = ⌊N·ValidationFraction⌋ characters of Text (may be empty).</summary>
    public ReadOnlyMemory<int> ValidationTokens { get; }

    private readonly int trainUtf16Length; // UTF-16 length of the training text (where Text splits)

    public string TrainingText => Text[..trainUtf16Length];
    public string ValidationText => Text[trainUtf16Length..];

    private CharCorpus(string source, string text, double validationFraction)
    {
        Source = source;
        Text = text;
        ValidationFraction = validationFraction;
        Rune[] runes;
        try { runes = Vocabulary.ToRunes(text); }
        catch (ArgumentException e) { throw new DataException($"corpus '{source}' is not valid Unicode: {e.Message}", e); }
        Vocabulary = new Vocabulary(runes);
        int[] all = Vocabulary.Encode(runes);
        int nVal = (int)Math.Floor(all.Length * validationFraction);
        TrainTokens = all.AsMemory(0, all.Length - nVal);
        ValidationTokens = all.AsMemory(all.Length - nVal);
        foreach (Rune r in runes.AsSpan(0, all.Length - nVal)) trainUtf16Length += r.Utf16SequenceLength;
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
    /// Corpus over a UTF-8 text file (a UTF-8 or UTF-16 byte-order mark is honoured). DataException (with
    /// the full path) when the file does not exist, is a directory, is empty, cannot be read, or is not
    /// valid UTF-8 (the byte offset of the first bad sequence is named).
    /// </summary>
    public static CharCorpus FromFile(string path, double validationFraction = DefaultValidationFraction)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ValidateFraction(validationFraction);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new DataException($"corpus path '{full}' is a directory; give the path of a text file");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataException($"corpus file not found: '{full}'", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"cannot read corpus file '{full}': {e.Message}", e);
        }
        string text = Decode(bytes, full);
        if (text.Length == 0) throw new DataException($"corpus file '{full}' is empty: there is nothing to train on");
        return new CharCorpus(full, text, validationFraction);
    }

    /// <summary>Strict decoding: invalid bytes are an error, never silently replaced by U+FFFD.</summary>
    private static string Decode(byte[] bytes, string path)
    {
        ReadOnlySpan<byte> b = bytes;
        Encoding encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        string name = "UTF-8";
        if (b.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) b = b[3..];
        else if (b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) { b = b[2..]; encoding = new UnicodeEncoding(false, false, true); name = "UTF-16LE"; }
        else if (b.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) { b = b[2..]; encoding = new UnicodeEncoding(true, false, true); name = "UTF-16BE"; }
        try
        {
            return encoding.GetString(b);
        }
        catch (DecoderFallbackException e)
        {
            string where = "";
            if (name == "UTF-8" && FirstInvalidUtf8(bytes) is var at && at < bytes.Length) where = $": byte 0x{bytes[at]:X2} at offset {at} starts no valid sequence";
            throw new DataException($"corpus file '{path}' is not valid {name} text{where}; convert it to UTF-8", e);
        }
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out _, out int used) != System.Buffers.OperationStatus.Done) return offset;
            bytes = bytes[used..];
            offset += used;
        }
        return offset;
    }

    private static void ValidateFraction(double f)
    {
        if (!(f >= 0 && f < 1))
            throw new ArgumentOutOfRangeException("validationFraction", f, "validation fraction must be in [0, 1)");
    }

    public override string ToString() =>
        $"{Source}: {TrainTokens.Length + ValidationTokens.Length} chars, V={Vocabulary.Size}, train {TrainTokens.Length}, validation {ValidationTokens.Length}";
}
