using System.Globalization;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Checkpoints;

/// <summary>A model read back from a checkpoint.</summary>
/// <param name="Shape">V, H, O as found in the tensors.</param>
/// <param name="W">The flat parameter vector, laid out as <see cref="ModelShape"/> says.</param>
/// <param name="Vocabulary">The vocabulary stored with the model, if any.</param>
/// <param name="Settings">The run settings stored with the model (metadata minus the reserved keys).</param>
/// <param name="OptimizerState">The optimizer state stored with the model, if any.</param>
public sealed record ModelCheckpointData(
    ModelShape Shape, float[] W, Vocabulary? Vocabulary,
    IReadOnlyDictionary<string, string> Settings, OptimizerState? OptimizerState);

/// <summary>
/// An Elman RNN's W as a safetensors file: tensors W_xh (H×V), W_hh (H×H), b_h (H), W_hy (O×H),
/// b_y (O) (the blocks of <see cref="ModelShape"/>), optionally the optimizer state as tensors
/// "optimizer.&lt;buffer&gt;" of shape [Count], and string metadata: format, V, H, O, the vocabulary
/// (a JSON array of one-symbol strings, <see cref="Vocabulary.ToJson"/>), the optimizer step count,
/// and the caller's run settings. Files of the previous format (vocabulary as an escaped string) are
/// still read.
/// Writes are atomic (see <see cref="SafetensorsFile"/>).
/// </summary>
public static class ModelCheckpoint
{
    public const string FormatKey = "format";
    public const string FormatValue = "actortrainer-elman-2";
    /// <summary>The format before the JSON vocabulary: its vocabulary is <see cref="Vocabulary.FromLegacyString"/>'s.</summary>
    public const string LegacyFormatValue = "actortrainer-elman-1";
    public const string VocabularyKey = "vocabulary";
    public const string OptimizerStepKey = "optimizer.step_count";
    public const string OptimizerTensorPrefix = "optimizer.";

    private static readonly HashSet<string> Reserved = [FormatKey, "V", "H", "O", VocabularyKey, OptimizerStepKey, SafetensorsFile.ChecksumKey];

    /// <summary>
    /// Writes W (length shape.Count) with its vocabulary, run settings and optimizer state.
    /// ArgumentException if W has the wrong length, a setting uses a reserved key (format, V, H, O,
    /// vocabulary, optimizer.step_count), the vocabulary size differs from V or O, or the optimizer
    /// state does not cover W.
    /// </summary>
    public static void Write(string path, ModelShape shape, ReadOnlyMemory<float> w,
                             Vocabulary? vocabulary = null,
                             IReadOnlyDictionary<string, string>? settings = null,
                             OptimizerState? optimizerState = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (w.Length != shape.Count)
            throw new ArgumentException($"W has {w.Length} values but V={shape.V}, H={shape.H}, O={shape.O} needs {shape.Count}", nameof(w));
        if (vocabulary is not null && vocabulary.Size != shape.V && vocabulary.Size != shape.O)
            throw new ArgumentException($"vocabulary has {vocabulary.Size} symbols but the model has V={shape.V}, O={shape.O}", nameof(vocabulary));
        if (optimizerState is not null && optimizerState.Length != shape.Count)
            throw new ArgumentException($"optimizer state covers {optimizerState.Length} parameters but W has {shape.Count}", nameof(optimizerState));

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = FormatValue,
            ["V"] = Invariant(shape.V),
            ["H"] = Invariant(shape.H),
            ["O"] = Invariant(shape.O),
        };
        if (vocabulary is not null) metadata[VocabularyKey] = vocabulary.ToJson();
        if (optimizerState is not null) metadata[OptimizerStepKey] = Invariant(optimizerState.StepCount);
        foreach (var (k, v) in settings ?? new Dictionary<string, string>())
        {
            if (Reserved.Contains(k)) throw new ArgumentException($"setting '{k}' uses a reserved checkpoint metadata key", nameof(settings));
            metadata[k] = v;
        }

        var tensors = new List<(string, int[], ReadOnlyMemory<float>)>();
        foreach (var (name, offset, dims) in shape.Blocks)
            tensors.Add((name, dims, w.Slice(offset, dims.Aggregate(1, (a, d) => a * d))));
        if (optimizerState is not null)
            foreach (var (name, data) in optimizerState.Buffers)
                tensors.Add((OptimizerTensorPrefix + name, [data.Length], data));

        SafetensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Reads a model checkpoint, inferring V, H, O from the tensor shapes. CheckpointException when the
    /// file is unreadable or corrupt, a block is missing, or the blocks' shapes disagree with each other.
    /// </summary>
    public static ModelCheckpointData Read(string path)
    {
        var file = SafetensorsFile.Read(path);
        SafetensorsFile.RequireFinite(file); // W or an optimizer buffer with NaN/∞ would poison the run it starts
        var wxh = file["W_xh"];
        var why = file["W_hy"];
        if (wxh.Shape.Length != 2 || why.Shape.Length != 2 || wxh.Shape.Any(d => d == 0) || why.Shape.Any(d => d == 0))
            throw new CheckpointException($"checkpoint '{file.Path}' has W_xh {wxh.ShapeText} and W_hy {why.ShapeText}; expected H×V and O×H matrices");
        int H = wxh.Shape[0], V = wxh.Shape[1], O = why.Shape[0];
        var shape = new ModelShape(V, H, O);

        var w = new float[shape.Count];
        foreach (var (name, offset, dims) in shape.Blocks)
        {
            var t = file[name];
            if (!t.Shape.SequenceEqual(dims))
                throw new CheckpointException(
                    $"checkpoint '{file.Path}' has {name} {t.ShapeText} but V={V}, H={H}, O={O} (from W_xh, W_hy) requires [{string.Join(",", dims)}]");
            t.Data.CopyTo(w, offset);
        }

        Vocabulary? vocabulary = null;
        if (file.Metadata.TryGetValue(VocabularyKey, out string? vs))
        {
            bool legacy = file.Metadata.TryGetValue(FormatKey, out string? format) && format == LegacyFormatValue;
            try { vocabulary = legacy ? Vocabulary.FromLegacyString(vs) : Vocabulary.FromJson(vs); }
            catch (FormatException e) { throw new CheckpointException($"checkpoint '{file.Path}' has a malformed vocabulary: {e.Message}", e); }
        }

        var settings = file.Metadata.Where(kv => !Reserved.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new ModelCheckpointData(shape, w, vocabulary, settings, ReadOptimizerState(file, shape.Count));
    }

    /// <summary>
    /// Reads a checkpoint for a run with a given shape (and vocabulary, when the run has one) and
    /// returns its data; CheckpointException listing every mismatch, e.g.
    /// "checkpoint has H=128 but the run has H=256".
    /// </summary>
    public static ModelCheckpointData Read(string path, ModelShape expected, Vocabulary? expectedVocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var data = Read(path);
        var problems = new List<string>();
        foreach (var (what, got, want) in new[] { ("V", data.Shape.V, expected.V), ("H", data.Shape.H, expected.H), ("O", data.Shape.O, expected.O) })
            if (got != want) problems.Add($"checkpoint has {what}={got} but the run has {what}={want}");
        if (expectedVocabulary is not null)
        {
            if (data.Vocabulary is null) problems.Add("checkpoint has no vocabulary but the run has one");
            else if (!data.Vocabulary.Equals(expectedVocabulary)) problems.Add(DescribeDifference(data.Vocabulary, expectedVocabulary));
        }
        if (problems.Count > 0)
            throw new CheckpointException($"checkpoint '{Path.GetFullPath(path)}' does not match the run: {string.Join("; ", problems)}");
        return data;
    }

    private static OptimizerState? ReadOptimizerState(SafetensorsContent file, int count)
    {
        var buffers = file.Tensors.Where(t => t.Name.StartsWith(OptimizerTensorPrefix, StringComparison.Ordinal)).ToList();
        bool hasStep = file.Metadata.TryGetValue(OptimizerStepKey, out string? stepText);
        if (buffers.Count == 0 && !hasStep) return null;
        if (!hasStep || !long.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out long step))
            throw new CheckpointException($"checkpoint '{file.Path}' has optimizer buffers but no valid '{OptimizerStepKey}'");
        foreach (var b in buffers)
            if (b.Shape.Length != 1 || b.Data.Length != count)
                throw new CheckpointException($"checkpoint '{file.Path}' has optimizer buffer '{b.Name}' {b.ShapeText} but W has {count} parameters");
        return new OptimizerState(count, buffers.Select(b => (b.Name[OptimizerTensorPrefix.Length..], b.Data)), step);
    }

    private static string DescribeDifference(Vocabulary got, Vocabulary want)
    {
        int n = Math.Min(got.Size, want.Size), i = 0;
        while (i < n && got[i] == want[i]) i++;
        string where = i < n
            ? $"first difference at token {i}: {Vocabulary.Describe(got[i])} in the checkpoint, {Vocabulary.Describe(want[i])} in the run"
            : $"one is a prefix of the other up to token {i}";
        return $"checkpoint vocabulary ({got.Size} chars) differs from the run's ({want.Size} chars), {where}";
    }

    private static string Invariant(long x) => x.ToString(CultureInfo.InvariantCulture);
}
