using System.Globalization;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Diagnostics;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Diagnostics;

/// <summary>A model to diagnose: what it computes, its W, the vocabulary its tokens mean, and where it came from.</summary>
internal sealed record DiagnosedModel(ModelSpec Spec, float[] W, Vocabulary Vocabulary, string Description);

/// <summary>How a fresh model's W_hh is set: rescaled to a spectral radius, or exactly a·I.</summary>
internal abstract record WhhInit
{
    /// <summary>The seeded random draw, rescaled so that ρ(W_hh) = Radius.</summary>
    public sealed record SpectralRadius(double Radius) : WhhInit;
    /// <summary>W_hh = a·I (ρ = |a|; with identity φ, ∂h_t/∂h_{t−k} = a^k·I exactly).</summary>
    public sealed record ScaledIdentity(double A) : WhhInit;
}

/// <summary>Builds the models the diagnostics and experiments look at: from a checkpoint, or fresh and seeded.</summary>
internal static class ModelSource
{
    /// <summary>
    /// A model from a checkpoint read by <see cref="ReadCheckpoint"/>. φ comes from phi if given, else from the checkpoint's
    /// "activation" setting, else tanh. The model must be a character LM (O = V) with a stored vocabulary, or fallback's
    /// size must match.
    /// </summary>
    public static DiagnosedModel FromCheckpoint(string file, ModelCheckpointData data, Activation? phi, Vocabulary? fallback)
    {
        var shape = data.Shape;
        if (shape.O != shape.V)
            throw new UsageException($"checkpoint '{file}' has V={shape.V} inputs but O={shape.O} outputs; the diagnostics need a character model with next-token targets (O = V)");
        var vocab = data.Vocabulary
            ?? (fallback is not null && fallback.Size == shape.V ? fallback
                : throw new UsageException($"checkpoint '{file}' stores no vocabulary and the corpus has {fallback?.Size ?? 0} characters, not V={shape.V}; give the corpus it was trained on"));
        Activation activation = phi ?? StoredActivation(data.Settings, file) ?? Activation.Tanh;
        return new DiagnosedModel(new ModelSpec(shape, activation), data.W, vocab,
            $"checkpoint {file} (V={shape.V}, H={shape.H}, phi={Name(activation)})");
    }

    /// <summary>
    /// Reads a model checkpoint: a .safetensors file, or a directory — a train run's (its model.safetensors) or any
    /// other (its newest model .safetensors file; state.safetensors is a run's resume state, not a model).
    /// Returns the file used and its content.
    /// </summary>
    public static (string File, ModelCheckpointData Data) ReadCheckpoint(string path)
    {
        string file = ResolveCheckpoint(path);
        return (file, ModelCheckpoint.Read(file));
    }

    /// <summary>The corpus file a train run recorded in its checkpoint ("corpus" setting), if it still exists.</summary>
    public static string? StoredCorpus(ModelCheckpointData data) =>
        data.Settings.TryGetValue("corpus", out string? c) && !string.IsNullOrWhiteSpace(c) && File.Exists(c) ? c : null;

    /// <summary>A seeded fresh model (V = O = vocabulary size; weights as <see cref="Initializer"/> draws them) with W_hh set by whh.</summary>
    public static DiagnosedModel Fresh(Vocabulary vocab, int hidden, Activation phi, WhhInit whh, int seed)
    {
        var shape = new ModelShape(vocab.Size, hidden, vocab.Size);
        var w = Initializer.Create(shape, seed);
        string how;
        switch (whh)
        {
            case WhhInit.SpectralRadius r:
                SpectralRadius.RescaleWhh(shape, w, r.Radius);
                how = $"W_hh rescaled to spectral radius {F(r.Radius)}";
                break;
            case WhhInit.ScaledIdentity s:
                var Whh = shape.Whh(w.AsSpan());
                Whh.Clear();
                for (int i = 0; i < hidden; i++) Whh[i * hidden + i] = (float)s.A;
                how = $"W_hh = {F(s.A)}·I";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(whh), whh, "unknown W_hh initialisation");
        }
        return new DiagnosedModel(new ModelSpec(shape, phi), w, vocab,
            $"fresh model (V={vocab.Size}, H={hidden}, phi={Name(phi)}, seed {seed}, {how})");
    }

    /// <summary>The file itself, or a directory's newest .safetensors file; UsageException when there is none.</summary>
    public static string ResolveCheckpoint(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            string model = Path.Combine(full, "model.safetensors");
            if (File.Exists(model)) return model;
            var newest = new DirectoryInfo(full).GetFiles("*.safetensors").Where(f => f.Name != "state.safetensors")
                .OrderByDescending(f => f.LastWriteTimeUtc).ThenBy(f => f.Name).FirstOrDefault();
            return newest?.FullName ?? throw new UsageException($"--checkpoint: directory '{full}' holds no model .safetensors file");
        }
        if (!File.Exists(full)) throw new UsageException($"--checkpoint: file not found: '{full}'");
        return full;
    }

    public static string Name(Activation phi) => phi.ToString().ToLowerInvariant();

    private static Activation? StoredActivation(IReadOnlyDictionary<string, string> settings, string file)
    {
        foreach (string key in new[] { "activation", "phi" })
            if (settings.TryGetValue(key, out string? v))
                return Enum.TryParse<Activation>(v, ignoreCase: true, out var a) ? a
                    : throw new UsageException($"checkpoint '{file}' has {key}='{v}', not one of tanh, identity, relu; pass --activation");
        return null;
    }

    private static string F(double x) => x.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>Windows of real text for the diagnostics: token sequences cut evenly from a corpus.</summary>
internal static class TextWindows
{
    /// <summary>
    /// count windows of length tokens each, evenly spaced over the text (the first at 0, the last ending at the end),
    /// encoded with vocab. UsageException if the text is too short or has a character outside vocab.
    /// </summary>
    public static IReadOnlyList<int[]> Take(string text, Vocabulary vocab, int count, int length)
    {
        var runes = Vocabulary.ToRunes(text); // windows count characters (Runes), not UTF-16 halves
        if (runes.Length < length)
            throw new UsageException($"the corpus has {runes.Length} characters, fewer than one window of {length}; use a longer corpus or a smaller --max-lag/--length");
        var windows = new int[count][];
        long span = runes.Length - length;
        for (int i = 0; i < count; i++)
        {
            int start = count == 1 ? 0 : (int)(span * i / (count - 1));
            foreach (var c in runes.AsSpan(start, length))
                if (!vocab.Contains(c))
                    throw new UsageException($"the corpus has the character {Vocabulary.Describe(c)}, which is not in the model's vocabulary of {vocab.Size}; give the corpus the model was trained on");
            windows[i] = vocab.Encode(runes.AsSpan(start, length));
        }
        return windows;
    }
}
