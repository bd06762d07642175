using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Tests.Checkpoints;

public sealed class ModelCheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("model-checkpoint-tests-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string PathOf(string name) => Path.Combine(dir, name);

    private static float[] RandomW(ModelShape shape, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, shape.Count).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
    }

    [Fact]
    public void Round_trip_restores_W_shape_vocabulary_settings_and_optimizer_state()
    {
        var vocab = Vocabulary.FromText("hello, world\n");
        var shape = new ModelShape(vocab.Size, 5, vocab.Size);
        var w = RandomW(shape, 1);
        var state = new Adam(0.01f).CreateState(shape.Count);
        state.Buffer("m")[3] = 0.5f;
        state.Buffer("v")[shape.Count - 1] = 2f;
        state.StepCount = 17;
        var settings = new Dictionary<string, string> { ["optimizer"] = "adam", ["lr"] = "0.01", ["truncation"] = "k(20)" };
        string path = PathOf("model.safetensors");

        ModelCheckpoint.Write(path, shape, w, vocab, settings, state);
        var back = ModelCheckpoint.Read(path, shape, vocab);

        Assert.Equal(shape, back.Shape);
        Assert.Equal(w, back.W);
        Assert.Equal(vocab, back.Vocabulary);
        Assert.Equal(settings, back.Settings);
        Assert.NotNull(back.OptimizerState);
        Assert.Equal(17, back.OptimizerState!.StepCount);
        Assert.Equal(state.Buffer("m"), back.OptimizerState.Buffer("m"));
        Assert.Equal(state.Buffer("v"), back.OptimizerState.Buffer("v"));
    }

    [Fact]
    public void Tensors_are_the_named_blocks_of_W()
    {
        var shape = new ModelShape(3, 2, 4);
        var w = Enumerable.Range(0, shape.Count).Select(i => (float)i).ToArray();
        string path = PathOf("blocks.safetensors");
        ModelCheckpoint.Write(path, shape, w);

        var file = SafetensorsFile.Read(path);
        Assert.Equal(new[] { "W_xh", "W_hh", "b_h", "W_hy", "b_y" }, file.Tensors.Select(t => t.Name));
        Assert.Equal(new[] { 2, 3 }, file["W_xh"].Shape);
        Assert.Equal(new[] { 2, 2 }, file["W_hh"].Shape);
        Assert.Equal(new[] { 2 }, file["b_h"].Shape);
        Assert.Equal(new[] { 4, 2 }, file["W_hy"].Shape);
        Assert.Equal(new[] { 4 }, file["b_y"].Shape);
        Assert.Equal(shape.Why(w).ToArray(), file["W_hy"].Data);
        Assert.Equal(shape.Bh(w).ToArray(), file["b_h"].Data);
        Assert.Equal("2", file.Metadata["H"]);
        var plain = ModelCheckpoint.Read(path);
        Assert.Null(plain.Vocabulary);
        Assert.Null(plain.OptimizerState);
        Assert.Empty(plain.Settings);
    }

    [Fact]
    public void Shape_mismatch_names_the_dimension_and_both_values()
    {
        var shape = new ModelShape(10, 128, 10);
        string path = PathOf("h128.safetensors");
        ModelCheckpoint.Write(path, shape, new float[shape.Count]);
        var ex = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Read(path, new ModelShape(10, 256, 10)));
        Assert.Contains("checkpoint has H=128 but the run has H=256", ex.Message);
        Assert.DoesNotContain("V=", ex.Message);
    }

    [Fact]
    public void Vocabulary_with_emoji_CJK_and_combining_marks_round_trips_as_a_plain_json_array()
    {
        var vocab = Vocabulary.FromText("a😀日本e\u0301\n\"\\");
        var shape = new ModelShape(vocab.Size, 3, vocab.Size);
        string path = PathOf("unicode.safetensors");
        ModelCheckpoint.Write(path, shape, new float[shape.Count], vocab);

        Assert.Equal(vocab, ModelCheckpoint.Read(path, shape, vocab).Vocabulary);
        // What a reader outside .NET does (Python: json.loads(metadata["vocabulary"])): plain JSON, token order.
        string json = SafetensorsFile.Read(path).Metadata[ModelCheckpoint.VocabularyKey];
        Assert.Equal(vocab.Symbols.Select(r => r.ToString()), System.Text.Json.JsonSerializer.Deserialize<string[]>(json)!);
    }

    [Fact]
    public void Checkpoint_of_the_previous_format_still_loads_its_vocabulary()
    {
        var shape = new ModelShape(4, 2, 4);
        string path = PathOf("legacy.safetensors");
        WriteLegacy(path, shape, "\\u000A ab");   // how the old format wrote "\n ab"
        var back = ModelCheckpoint.Read(path);
        Assert.Equal(Vocabulary.FromText("\n ab"), back.Vocabulary);
    }

    [Fact]
    public void Checkpoint_of_the_previous_format_with_split_emoji_is_refused_clearly()
    {
        var shape = new ModelShape(3, 2, 3);
        string path = PathOf("legacy-emoji.safetensors");
        WriteLegacy(path, shape, "a\\uD83D\\uDE00");
        var ex = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Read(path));
        Assert.Contains("surrogate", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    /// <summary>A checkpoint as format actortrainer-elman-1 wrote it: the vocabulary as an escaped string.</summary>
    private static void WriteLegacy(string path, ModelShape shape, string vocabulary)
    {
        var w = new float[shape.Count];
        SafetensorsFile.Write(path, shape.Blocks.Select(b => (b.Name, b.Dims, (ReadOnlyMemory<float>)w.AsMemory(b.Offset, b.Dims.Aggregate(1, (x, d) => x * d)))).ToList(),
            new Dictionary<string, string> { ["format"] = "actortrainer-elman-1", ["vocabulary"] = vocabulary });
    }

    [Fact]
    public void Vocabulary_mismatch_is_described()
    {
        var vocab = Vocabulary.FromText("abc");
        var shape = new ModelShape(3, 4, 3);
        string path = PathOf("vocab.safetensors");
        ModelCheckpoint.Write(path, shape, new float[shape.Count], vocab);
        var ex = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Read(path, shape, Vocabulary.FromText("abd")));
        Assert.Contains("vocabulary", ex.Message);
        Assert.Contains("'c'", ex.Message);
        Assert.Contains("'d'", ex.Message);
    }

    [Fact]
    public void Blocks_that_disagree_with_each_other_are_rejected()
    {
        // W_hh is 3×3 but W_xh says H = 2.
        string path = PathOf("bad.safetensors");
        SafetensorsFile.Write(path,
        [
            ("W_xh", [2, 3], new float[6]), ("W_hh", [3, 3], new float[9]), ("b_h", [2], new float[2]),
            ("W_hy", [3, 2], new float[6]), ("b_y", [3], new float[3]),
        ]);
        var ex = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Read(path));
        Assert.Contains("W_hh", ex.Message);
        Assert.Contains("[2,2]", ex.Message);
    }

    [Fact]
    public void Missing_block_is_named()
    {
        string path = PathOf("missing.safetensors");
        SafetensorsFile.Write(path, [("W_xh", [2, 3], new float[6]), ("W_hy", [3, 2], new float[6])]);
        var ex = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Read(path));
        Assert.Contains("W_hh", ex.Message);
    }

    [Fact]
    public void Bad_arguments_are_rejected_on_write()
    {
        var shape = new ModelShape(3, 2, 3);
        string path = PathOf("args.safetensors");
        Assert.Throws<ArgumentException>(() => ModelCheckpoint.Write(path, shape, new float[shape.Count - 1]));
        Assert.Throws<ArgumentException>(() => ModelCheckpoint.Write(path, shape, new float[shape.Count],
            settings: new Dictionary<string, string> { ["H"] = "7" }));
        Assert.Throws<ArgumentException>(() => ModelCheckpoint.Write(path, shape, new float[shape.Count], Vocabulary.FromText("abcd")));
        Assert.Throws<ArgumentException>(() => ModelCheckpoint.Write(path, shape, new float[shape.Count],
            optimizerState: new Sgd(0.1f).CreateState(5)));
        Assert.False(File.Exists(path));
    }
}
