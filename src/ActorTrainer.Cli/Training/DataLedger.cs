using System.Globalization;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Training;

/// <summary>
/// Which (slot, chunk) gradients a run applied, read back from its metrics.csv (the worker and chunk
/// columns, parallel ';'-lists): a run that loses no data and applies nothing twice has every slot's
/// chunk ids contiguous from its first chunk, each once. Chunk ids are absolute (epoch · chunks per
/// stream + chunk), so one (slot, chunk) names one stretch of the corpus in one epoch.
/// </summary>
/// <param name="Chunks">Per slot (ascending), the chunk ids applied, ascending, duplicates included.</param>
/// <param name="Duplicates">(slot, chunk) applied more than once, once per extra time.</param>
/// <param name="Lost">(slot, chunk) missing between the slot's first chunk and its last applied one
/// (a chunk skipped as non-finite shows here too: it was not applied).</param>
public sealed record DataLedger(
    IReadOnlyDictionary<int, IReadOnlyList<long>> Chunks,
    IReadOnlyList<(int Slot, long Chunk)> Duplicates,
    IReadOnlyList<(int Slot, long Chunk)> Lost)
{
    /// <summary>Every (slot, chunk) from each slot's first to its last applied exactly once.</summary>
    public bool IsExact => Duplicates.Count == 0 && Lost.Count == 0;

    /// <summary>The ledger of metrics.csv at <paramref name="path"/>.</summary>
    /// <param name="firstChunk">The chunk every slot started at (a resumed run: the checkpoint's); chunks
    /// before it are not expected.</param>
    public static DataLedger Read(string path, long firstChunk = 0) => Of(CsvReader.ReadAll(path).Skip(1), firstChunk);

    /// <summary>The ledger of metrics rows (header excluded).</summary>
    public static DataLedger Of(IEnumerable<string[]> rows, long firstChunk = 0)
    {
        int workerColumn = Array.IndexOf(MetricsLog.Columns, "worker"), chunkColumn = Array.IndexOf(MetricsLog.Columns, "chunk");
        var applied = new SortedDictionary<int, List<long>>();
        foreach (var row in rows)
        {
            if (row.Length <= chunkColumn) continue;
            var slots = row[workerColumn].Split(';');
            var chunks = row[chunkColumn].Split(';');
            if (slots.Length != chunks.Length)
                throw new FormatException($"metrics row {row[0]}: {slots.Length} workers but {chunks.Length} chunks");
            for (int i = 0; i < slots.Length; i++)
            {
                int slot = int.Parse(slots[i], CultureInfo.InvariantCulture);
                if (!applied.TryGetValue(slot, out var list)) applied[slot] = list = new List<long>();
                list.Add(long.Parse(chunks[i], CultureInfo.InvariantCulture));
            }
        }
        var duplicates = new List<(int, long)>();
        var lost = new List<(int, long)>();
        foreach (var (slot, list) in applied)
        {
            list.Sort();
            long expected = firstChunk;
            for (int i = 0; i < list.Count; i++)
            {
                if (i > 0 && list[i] == list[i - 1]) { duplicates.Add((slot, list[i])); continue; }
                for (; expected < list[i]; expected++) lost.Add((slot, expected));
                expected = list[i] + 1;
            }
        }
        return new DataLedger(applied.ToDictionary(p => p.Key, p => (IReadOnlyList<long>)p.Value), duplicates, lost);
    }

    /// <summary>One line for people: slots, chunks applied, duplicates and losses (the first few named).</summary>
    public override string ToString() =>
        $"{Chunks.Count} slots, {Chunks.Values.Sum(c => c.Count)} (slot, chunk) applied; {Duplicates.Count} duplicate, {Lost.Count} lost" +
        (Duplicates.Count + Lost.Count == 0 ? "" :
            $" (duplicates {string.Join(", ", Duplicates.Take(5))}; lost {string.Join(", ", Lost.Take(5))})");
}
