using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Tests.Fuzzing;

namespace ActorTrainer.Core.Tests.Checkpoints;

/// <summary>The safetensors reader on 100,000 random and mutated files: it refuses with
/// CheckpointException or returns what the bytes hold, and never allocates beyond what the file's size allows.</summary>
public sealed class SafetensorsFuzzTests
{
    private static byte[] Encode(IReadOnlyList<(string, int[], ReadOnlyMemory<float>)> tensors, Dictionary<string, string>? meta)
    {
        string path = Path.Combine(Path.GetTempPath(), $"at-fuzz-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafetensorsFile.Write(path, tensors, meta);
            return File.ReadAllBytes(path);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Mutated_and_random_files_are_refused_with_CheckpointException_and_allocate_at_most_a_multiple_of_their_size()
    {
        var seeds = new List<(byte[], int[])>
        {
            (Encode([("W", [3, 4], Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray()), ("b", [4], new float[] { 1, 2, 3, 4 })],
                new() { ["vocabulary"] = "abc", ["updates"] = "10" }), [0, 4]),
            (Encode([("x", [0], Array.Empty<float>())], null), [0, 4]),
            (Encode([("optimizer.v", [8], new float[] { 1e-4f, 2e-4f, 0, 0, 1, 2, 3, 4 })], new() { ["optimizer.step_count"] = "3" }), [0, 4]),
        };
        // Warm up: the first parse JIT-compiles and builds the reader's caches.
        foreach (var (b, _) in seeds) SafetensorsFile.Parse(b, "seed");

        int refused = 0, read = 0;
        foreach (var input in FuzzInputs.Generate(seeds, count: 100_000, seed: 20261204))
        {
            long allocated = FuzzInputs.Allocated(() =>
            {
                try { SafetensorsFile.Parse(input, "fuzz"); read++; }
                catch (CheckpointException) { refused++; }
            });
            // Each input byte becomes at most one byte of the header copy, one of tensor data and the JSON
            // document's token index (12 bytes per token, at most one token per byte): 16 bytes per input
            // byte; 64 KiB covers the fixed cost (exception and its message, stream, dictionaries).
            Assert.True(allocated <= 16L * input.Length + 65536,
                $"parsing {input.Length} bytes allocated {allocated} bytes: {Convert.ToHexString(input.AsSpan(0, Math.Min(64, input.Length)))}");
        }
        Assert.Equal(100_000, refused + read);
        Assert.True(refused > 50_000 && read > 0, $"{refused} refused, {read} read: the mutations should mostly, not always, break the file");
    }
}

/// <summary>The data checksum: written into every file, checked on read.</summary>
public sealed class SafetensorsChecksumTests
{
    [Fact]
    public void A_changed_data_byte_is_refused_by_the_checksum_and_a_file_without_one_is_still_read()
    {
        string path = Path.Combine(Path.GetTempPath(), $"at-sum-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafetensorsFile.Write(path, [("v", [2], new float[] { 1e-4f, 2f })]);
            byte[] bytes = File.ReadAllBytes(path);
            byte[] changed = (byte[])bytes.Clone();
            BitConverter.GetBytes(4e5f).CopyTo(changed, bytes.Length - 8); // 1e-4 → 4e5, as in the corrupted state file
            var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Parse(changed, path));
            Assert.Contains($"'{path}' is corrupt: its tensor data does not match the {SafetensorsFile.ChecksumKey}", e.Message);

            // The same bytes without the key in the header (an older file, another tool's): read unchecked.
            string header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToUInt64(bytes, 0));
            string stripped = System.Text.RegularExpressions.Regex.Replace(header, "\"__metadata__\":\\{[^}]*\\},?", "");
            stripped = stripped.PadRight(header.Length);
            var unchecked_ = bytes.ToArray();
            System.Text.Encoding.UTF8.GetBytes(stripped).CopyTo(unchecked_, 8);
            BitConverter.GetBytes(4e5f).CopyTo(unchecked_, bytes.Length - 8);
            Assert.Equal(4e5f, SafetensorsFile.Parse(unchecked_, path)["v"].Data[0]);
        }
        finally { File.Delete(path); }
    }
}
