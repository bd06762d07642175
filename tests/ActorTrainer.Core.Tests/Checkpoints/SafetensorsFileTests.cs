using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ActorTrainer.Core.Checkpoints;

namespace ActorTrainer.Core.Tests.Checkpoints;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("safetensors-tests-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string PathOf(string name) => Path.Combine(dir, name);

    private static float[] Seq(int n, float scale = 1f) => Enumerable.Range(0, n).Select(i => (i - n / 2) * scale).ToArray();

    private static (string, int[], ReadOnlyMemory<float>)[] SampleTensors() =>
    [
        ("a", [2, 3], Seq(6, 0.5f)),
        ("scalar", [], new[] { 42f }),
        ("empty", [0, 4], Array.Empty<float>()),
        ("v", [5], new[] { float.MaxValue, float.Epsilon, -0f, 1e-30f, -7.25f }),
    ];

    /// <summary>A file written by hand, byte by byte: u64 header length, JSON, raw little-endian floats.</summary>
    private static byte[] HandBuilt(string headerJson, params float[] data)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length * 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (int i = 0; i < data.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + header.Length + 4 * i), data[i]);
        return bytes;
    }

    [Fact]
    public void Round_trip_keeps_names_shapes_data_order_and_metadata()
    {
        string path = PathOf("m.safetensors");
        var meta = new Dictionary<string, string> { ["run"] = "tiny \"quoted\" é\n", ["lr"] = "0.1" };
        SafetensorsFile.Write(path, SampleTensors(), meta);

        var back = SafetensorsFile.Read(path);
        Assert.Equal(new[] { "a", "scalar", "empty", "v" }, back.Tensors.Select(t => t.Name));
        foreach (var (name, shape, data) in SampleTensors())
        {
            Assert.Equal(shape, back[name].Shape);
            Assert.Equal(data.ToArray(), back[name].Data);
        }
        Assert.Equal(meta, back.Metadata);
    }

    [Fact]
    public void Written_file_follows_the_byte_layout()
    {
        string path = PathOf("layout.safetensors");
        SafetensorsFile.Write(path, [("x", [2], new[] { 1.5f, -2f }), ("y", [1], new[] { 3f })],
                              new Dictionary<string, string> { ["k"] = "v" });
        byte[] bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + n) % 8); // data section 8-byte aligned
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Matches(@"^\{.*\} *$", header); // JSON, then space padding only
        using var doc = JsonDocument.Parse(header);
        var root = doc.RootElement;
        Assert.Equal("v", root.GetProperty("__metadata__").GetProperty("k").GetString());
        Assert.Equal("F32", root.GetProperty("x").GetProperty("dtype").GetString());
        Assert.Equal(new[] { 0, 8 }, root.GetProperty("x").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(new[] { 8, 12 }, root.GetProperty("y").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(8 + (int)n + 12, bytes.Length);
        int data = 8 + (int)n;
        Assert.Equal(1.5f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(data)));
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(data + 4)));
        Assert.Equal(3f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(data + 8)));
    }

    [Fact]
    public void Hand_built_file_with_known_header_parses()
    {
        // Unpadded header, metadata last, tensors listed out of data order.
        string json = """{"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"__metadata__":{"who":"hand"}}""";
        string path = PathOf("hand.safetensors");
        File.WriteAllBytes(path, HandBuilt(json, 1.5f, -2f, 0.25f));
        var c = SafetensorsFile.Read(path);
        Assert.Equal(new[] { 1, 2 }, c["a"].Shape);
        Assert.Equal(new[] { 1.5f, -2f }, c["a"].Data);
        Assert.Equal(new[] { 0.25f }, c["b"].Data);
        Assert.Equal("hand", c.Metadata["who"]);
    }

    public static TheoryData<string, string, float[]> CorruptFiles => new()
    {
        { "not JSON", "{\"a\": ", new[] { 1f } },
        { "not an object", "[1,2]", Array.Empty<float>() },
        { "dtype F16", """{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", new[] { 1f } },
        { "dtype missing", """{"a":{"shape":[1],"data_offsets":[0,4]}}""", new[] { 1f } },
        { "offsets beyond data", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", new[] { 1f } },
        { "offsets disagree with shape", """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", new[] { 1f, 2f } },
        { "negative dimension", """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", new[] { 1f } },
        { "reversed offsets", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", new[] { 1f } },
        { "overlap", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new[] { 1f, 2f } },
        { "gap", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new[] { 1f, 2f } },
        { "trailing bytes", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new[] { 1f, 2f } },
        { "metadata not strings", """{"__metadata__":{"k":1}}""", Array.Empty<float>() },
        { "duplicate name", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new[] { 1f } },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void Corrupt_header_gives_a_checkpoint_exception(string why, string json, float[] data)
    {
        string path = PathOf("corrupt.safetensors");
        File.WriteAllBytes(path, HandBuilt(json, data));
        var ex = Assert.Throws<CheckpointException>(() => SafetensorsFile.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.False(string.IsNullOrWhiteSpace(why));
    }

    [Fact]
    public void Wrong_dtype_is_named_in_the_message()
    {
        string path = PathOf("f16.safetensors");
        File.WriteAllBytes(path, HandBuilt("""{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", 1f));
        var ex = Assert.Throws<CheckpointException>(() => SafetensorsFile.Read(path));
        Assert.Contains("F16", ex.Message);
        Assert.Contains("'w'", ex.Message);
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_gives_a_checkpoint_exception()
    {
        string path = PathOf("whole.safetensors");
        SafetensorsFile.Write(path, SampleTensors(), new Dictionary<string, string> { ["k"] = "v" });
        byte[] whole = File.ReadAllBytes(path);
        string cut = PathOf("cut.safetensors");
        for (int len = 0; len < whole.Length; len++)
        {
            File.WriteAllBytes(cut, whole[..len]);
            Assert.Throws<CheckpointException>(() => SafetensorsFile.Read(cut));
        }
    }

    [Fact]
    public void Huge_header_length_is_rejected_without_allocating_it()
    {
        string path = PathOf("huge.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        File.WriteAllBytes(path, bytes);
        Assert.Throws<CheckpointException>(() => SafetensorsFile.Read(path));
    }

    [Fact]
    public void Missing_file_gives_a_checkpoint_exception_with_the_path()
    {
        string path = PathOf("nope.safetensors");
        var ex = Assert.Throws<CheckpointException>(() => SafetensorsFile.Read(path));
        Assert.Contains("not found", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Failure_in_the_middle_of_a_write_leaves_the_old_file_intact_and_no_temp_files()
    {
        string path = PathOf("atomic.safetensors");
        SafetensorsFile.Write(path, [("old", [3], new[] { 1f, 2f, 3f })]);
        byte[] before = File.ReadAllBytes(path);

        // the second tensor's data cannot be read: the write fails after the first tensor's bytes are out
        (string, int[], ReadOnlyMemory<float>)[] tensors = [("a", [2], new[] { 1f, 2f }), ("b", [3], new FailingMemory(3).Memory)];
        var ex = Assert.Throws<IOException>(() => SafetensorsFile.Write(path, tensors));
        Assert.Contains("simulated", ex.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir));
        Assert.Equal(new[] { 1f, 2f, 3f }, SafetensorsFile.Read(path)["old"].Data);
    }

    [Fact]
    public void Invalid_tensors_are_rejected_before_anything_is_written()
    {
        string path = PathOf("invalid.safetensors");
        SafetensorsFile.Write(path, [("old", [1], new[] { 1f })]);
        byte[] before = File.ReadAllBytes(path);
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, [("x", [2, 2], new float[3])]));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, [("x", [1], new float[1]), ("x", [1], new float[1])]));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, [("__metadata__", [1], new float[1])]));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, [("x", [-1], new float[0])]));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public void Overwrite_replaces_the_previous_file()
    {
        string path = PathOf("over.safetensors");
        SafetensorsFile.Write(path, [("x", [1], new[] { 1f })]);
        SafetensorsFile.Write(path, [("y", [2], new[] { 2f, 3f })]);
        var c = SafetensorsFile.Read(path);
        Assert.Equal("y", Assert.Single(c.Tensors).Name);
        Assert.Empty(c.Metadata);
    }

    /// <summary>Memory of <c>length</c> floats whose contents cannot be read (a source failing mid-write).</summary>
    private sealed class FailingMemory(int length) : System.Buffers.MemoryManager<float>
    {
        public override Span<float> GetSpan() => throw new IOException("disk full (simulated)");
        public override Memory<float> Memory => CreateMemory(length);
        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
