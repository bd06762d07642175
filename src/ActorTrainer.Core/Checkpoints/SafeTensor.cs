namespace ActorTrainer.Core.Checkpoints;

/// <summary>One F32 tensor read from a safetensors file: row-major data with Data.Length = ∏ Shape.</summary>
public sealed record SafeTensor(string Name, int[] Shape, float[] Data)
{
    public string ShapeText => "[" + string.Join(",", Shape) + "]";
}

/// <summary>The contents of a safetensors file: tensors in file order and the string metadata.</summary>
public sealed class SafetensorsContent
{
    private readonly Dictionary<string, SafeTensor> byName;

    public string Path { get; }
    public IReadOnlyList<SafeTensor> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    internal SafetensorsContent(string path, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        Tensors = tensors;
        Metadata = metadata;
        byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public bool TryGet(string name, out SafeTensor tensor) => byName.TryGetValue(name, out tensor!);

    /// <summary>The tensor called name; CheckpointException naming the file and the tensors it has otherwise.</summary>
    public SafeTensor this[string name] =>
        byName.TryGetValue(name, out var t) ? t
            : throw new CheckpointException($"checkpoint '{Path}' has no tensor '{name}' (it has: {string.Join(", ", byName.Keys)})");
}
