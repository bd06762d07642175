using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ActorTrainer.Core.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (F32 tensors only):
/// <code>
/// [ u64 little-endian N ][ N bytes UTF-8 JSON header, space-padded ][ data ]
/// header = { "__metadata__": { string: string, … },
///            "name": { "dtype": "F32", "shape": [d0, d1, …], "data_offsets": [begin, end] }, … }
/// </code>
/// Offsets are byte ranges relative to the start of the data section; data is little-endian and
/// row-major; the ranges tile the data section exactly. Writes are atomic (temp file in the same
/// directory, flushed to disk, then moved over the target), so a crash never leaves a torn file.
/// Every file written here carries <see cref="ChecksumKey"/> in its metadata: the SHA-256 of the whole
/// data section (lower-case hex), checked on read, so a file changed or damaged after it was written is
/// refused by name; the key is not part of the metadata <see cref="Read(string)"/> returns. Files
/// without it (older ones, other tools') are read unchecked.
/// </summary>
public static class SafetensorsFile
{
    public const string MetadataKey = "__metadata__";
    /// <summary>Headers larger than this are treated as corrupt (real headers are a few KB).</summary>
    public const long MaxHeaderBytes = 100L << 20;
    /// <summary>Metadata key of the data section's SHA-256 (lower-case hex).</summary>
    public const string ChecksumKey = "data_sha256";

    /// <summary>
    /// Atomically writes tensors (in the given order, data back to back) and metadata to path.
    /// ArgumentException (nothing written) for an empty, duplicate or reserved name, a negative
    /// dimension, or data whose length is not the product of the shape. IO errors propagate; the
    /// previous file at path, if any, is then left as it was.
    /// </summary>
    public static void Write(string path,
                             IReadOnlyList<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors,
                             IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var withChecksum = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [ChecksumKey] = Checksum(tensors.Select(t => t.Data)),
        };
        byte[] header = BuildHeader(tensors, withChecksum);

        string full = System.IO.Path.GetFullPath(path);
        string dir = System.IO.Path.GetDirectoryName(full)!;
        string temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> n = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(n, (ulong)header.Length);
                fs.Write(n);
                fs.Write(header);
                for (int i = 0; i < tensors.Count; i++) WriteLittleEndian(fs, tensors[i].Data.Span);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Reads and validates a safetensors file. CheckpointException (naming the file) when it is
    /// missing, unreadable, truncated, has a malformed header, a dtype other than F32, offsets out of
    /// range or not matching the shape, overlapping or gapped data, trailing bytes, or data that does
    /// not match its <see cref="ChecksumKey"/>. Nothing larger than the file is ever allocated.
    /// </summary>
    public static SafetensorsContent Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.GetFullPath(path);
        try
        {
            using var fs = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            return ReadFrom(fs, full);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointException($"checkpoint file not found: '{full}'", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"cannot read checkpoint '{full}': {e.Message}", e);
        }
    }

    /// <summary>Parses a whole file's bytes (for tests: the same checks as <see cref="Read(string)"/>).</summary>
    internal static SafetensorsContent Parse(byte[] bytes, string path)
    {
        using var ms = new MemoryStream(bytes, writable: false);
        try { return ReadFrom(ms, path); }
        catch (EndOfStreamException e) { throw Corrupt(path, "truncated", e); }
    }

    private static SafetensorsContent ReadFrom(Stream fs, string path)
    {
        long fileLength = fs.Length;
        if (fileLength < 8)
            throw Corrupt(path, $"truncated: {fileLength} bytes, shorter than the 8-byte header length");
        Span<byte> n = stackalloc byte[8];
        fs.ReadExactly(n);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(n);
        if (headerLength > MaxHeaderBytes)
            throw Corrupt(path, $"header length {headerLength} is implausible (limit {MaxHeaderBytes})");
        if ((long)headerLength > fileLength - 8)
            throw Corrupt(path, $"truncated: header length is {headerLength} bytes but only {fileLength - 8} bytes follow");
        var header = new byte[headerLength];
        fs.ReadExactly(header);
        long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart;

        var (entries, metadata) = ParseHeader(header, path);
        CheckTiling(entries, dataLength, path);

        var tensors = new List<SafeTensor>(entries.Count);
        foreach (var e in entries)
        {
            var data = new float[(e.End - e.Begin) / sizeof(float)];
            fs.Seek(dataStart + e.Begin, SeekOrigin.Begin);
            fs.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
            if (!BitConverter.IsLittleEndian) ReverseEndianness(data);
            tensors.Add(new SafeTensor(e.Name, e.Shape, data));
        }
        if (metadata.Remove(ChecksumKey, out string? expected)) // checked here, so not handed on as metadata
        {
            // The ranges tile the data section, so the tensors in offset order are its bytes.
            string actual = Checksum(tensors.Zip(entries).OrderBy(p => p.Second.Begin).Select(p => (ReadOnlyMemory<float>)p.First.Data));
            if (!string.Equals(actual, expected, StringComparison.Ordinal))
                throw Corrupt(path, $"its tensor data does not match the {ChecksumKey} in its metadata (changed or damaged since it was written)");
        }
        return new SafetensorsContent(path, tensors, metadata);
    }

    /// <summary>CheckpointException naming the file and the first tensor that holds NaN or ±∞.</summary>
    public static void RequireFinite(SafetensorsContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        foreach (var t in content.Tensors)
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(t.Data))
                throw new CheckpointException($"checkpoint '{content.Path}' holds NaN or infinity in tensor '{t.Name}'");
    }

    /// <summary>SHA-256 (lower-case hex) of the tensors' little-endian bytes, back to back.</summary>
    private static string Checksum(IEnumerable<ReadOnlyMemory<float>> data)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        Span<byte> b = stackalloc byte[4];
        foreach (var d in data)
        {
            if (BitConverter.IsLittleEndian) { sha.AppendData(MemoryMarshal.AsBytes(d.Span)); continue; }
            foreach (float x in d.Span) { BinaryPrimitives.WriteSingleLittleEndian(b, x); sha.AppendData(b); }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private sealed record Entry(string Name, int[] Shape, long Begin, long End);

    private static (List<Entry>, Dictionary<string, string>) ParseHeader(byte[] header, string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw Corrupt(path, $"header is not valid JSON ({e.Message})", e); }
        using (doc)
        {
            try { return ParseHeader(doc, path); }
            catch (InvalidOperationException e) { throw Corrupt(path, $"header holds text that is not valid UTF-8 ({e.Message})", e); }
        }
    }

    private static (List<Entry>, Dictionary<string, string>) ParseHeader(JsonDocument doc, string path)
    {
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Corrupt(path, "header is not a JSON object");
            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(p.Name)) throw Corrupt(path, $"header names '{p.Name}' twice");
                if (p.Name == MetadataKey)
                {
                    if (p.Value.ValueKind != JsonValueKind.Object) throw Corrupt(path, "__metadata__ is not an object");
                    foreach (var m in p.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw Corrupt(path, $"metadata '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(p, path));
            }
            return (entries, metadata);
        }
    }

    private static Entry ParseEntry(JsonProperty p, string path)
    {
        string name = p.Name;
        var v = p.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Corrupt(path, $"tensor '{name}' entry is not an object");
        if (!v.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            throw Corrupt(path, $"tensor '{name}' has no dtype");
        if (dtype.GetString() != "F32")
            throw Corrupt(path, $"tensor '{name}' has dtype {dtype.GetString()}; only F32 is supported");
        if (!v.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw Corrupt(path, $"tensor '{name}' has no shape array");
        var shape = new int[shapeEl.GetArrayLength()];
        long count = 1;
        int d = 0;
        foreach (var dim in shapeEl.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt32(out int x) || x < 0)
                throw Corrupt(path, $"tensor '{name}' has an invalid dimension {dim.GetRawText()}");
            shape[d++] = x;
            count *= x;
            if (count > int.MaxValue) throw Corrupt(path, $"tensor '{name}' is too large ({count}+ elements)");
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Corrupt(path, $"tensor '{name}' has no [begin, end] data_offsets");
        if (off[0].ValueKind != JsonValueKind.Number || off[1].ValueKind != JsonValueKind.Number
            || !off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Corrupt(path, $"tensor '{name}' has invalid data_offsets {off.GetRawText()}");
        if (end - begin != count * sizeof(float))
            throw Corrupt(path, $"tensor '{name}' has shape [{string.Join(",", shape)}] ({count * sizeof(float)} bytes) " +
                                $"but data_offsets span {end - begin} bytes");
        return new Entry(name, shape, begin, end);
    }

    /// <summary>The byte ranges must cover [0, dataLength) exactly, without gaps or overlaps.</summary>
    private static void CheckTiling(List<Entry> entries, long dataLength, string path)
    {
        long expected = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.End > dataLength)
                throw Corrupt(path, $"truncated or corrupt: tensor '{e.Name}' ends at data byte {e.End} but the data section has {dataLength} bytes");
            if (e.Begin != expected)
                throw Corrupt(path, e.Begin < expected
                    ? $"tensor '{e.Name}' overlaps the previous tensor (begins at {e.Begin}, expected {expected})"
                    : $"gap in the data section before tensor '{e.Name}' (begins at {e.Begin}, expected {expected})");
            expected = e.End;
        }
        if (expected != dataLength)
            throw Corrupt(path, $"{dataLength - expected} trailing bytes after the last tensor");
    }

    private static byte[] BuildHeader(IReadOnlyList<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors,
                                      IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var ms = new MemoryStream();
        // Relaxed escaping keeps non-ASCII metadata readable in the header; the output is still valid JSON.
        using (var json = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata)
                {
                    ArgumentNullException.ThrowIfNull(v, $"metadata[{k}]");
                    json.WriteString(k, v);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, shape, data) in tensors)
            {
                if (string.IsNullOrEmpty(name) || name == MetadataKey)
                    throw new ArgumentException($"invalid tensor name '{name}'", nameof(tensors));
                if (!names.Add(name)) throw new ArgumentException($"duplicate tensor name '{name}'", nameof(tensors));
                ArgumentNullException.ThrowIfNull(shape, $"shape of '{name}'");
                long count = 1;
                foreach (int dim in shape)
                {
                    if (dim < 0) throw new ArgumentException($"tensor '{name}' has negative dimension {dim}", nameof(tensors));
                    count *= dim;
                }
                if (count != data.Length)
                    throw new ArgumentException($"tensor '{name}' has shape [{string.Join(",", shape)}] = {count} elements but {data.Length} values", nameof(tensors));
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int dim in shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + count * sizeof(float));
                json.WriteEndArray();
                json.WriteEndObject();
                offset += count * sizeof(float);
            }
            json.WriteEndObject();
        }
        // Pad with spaces so the data section starts 8-byte aligned (8 + N ≡ 0 mod 8).
        int padding = (int)((8 - ms.Length % 8) % 8);
        for (int i = 0; i < padding; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }

    private static void WriteLittleEndian(Stream s, ReadOnlySpan<float> data)
    {
        if (BitConverter.IsLittleEndian) { s.Write(MemoryMarshal.AsBytes(data)); return; }
        Span<byte> b = stackalloc byte[4];
        foreach (float x in data) { BinaryPrimitives.WriteSingleLittleEndian(b, x); s.Write(b); }
    }

    private static void ReverseEndianness(float[] data)
    {
        var bits = MemoryMarshal.Cast<float, uint>(data.AsSpan());
        BinaryPrimitives.ReverseEndianness(bits, bits);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static CheckpointException Corrupt(string path, string what, Exception? inner = null) =>
        inner is null ? new CheckpointException($"checkpoint '{path}' is corrupt: {what}")
                      : new CheckpointException($"checkpoint '{path}' is corrupt: {what}", inner);
}
