using System.Buffers.Binary;

namespace ActorTrainer.Tests.Fuzzing;

/// <summary>
/// Inputs for a parser's fuzz test, from a fixed seed: one in ten is random bytes, the rest are valid
/// encodings changed by one to four mutations — bit flips, random bytes, truncation, appended junk,
/// inserted or deleted bytes, and 32-bit fields (at the encodings' known length-field offsets, or
/// anywhere) set to huge, negative or boundary values. Shared by the test projects (linked file).
/// </summary>
internal static class FuzzInputs
{
    private static readonly uint[] Interesting =
        [0, 1, 2, 3, 4, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE,
         0x3FFFFFFF, 0x40000000, 0x1FFFFFFF, 1 << 20, (1 << 20) + 1];

    /// <param name="seeds">Valid encodings, each with the offsets of its length/count fields (may be empty).</param>
    public static IEnumerable<byte[]> Generate(IReadOnlyList<(byte[] Bytes, int[] LengthFields)> seeds, int count, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            if (rng.Next(10) == 0)
            {
                var junk = new byte[rng.Next(0, 300)];
                rng.NextBytes(junk);
                yield return junk;
                continue;
            }
            var (bytes, fields) = seeds[rng.Next(seeds.Count)];
            var b = new List<byte>(bytes);
            int mutations = 1 + rng.Next(4);
            for (int m = 0; m < mutations; m++) Mutate(b, fields, rng);
            yield return b.ToArray();
        }
    }

    private static void Mutate(List<byte> b, int[] fields, Random rng)
    {
        switch (rng.Next(8))
        {
            case 0 when b.Count > 0: // flip one bit
            {
                int at = rng.Next(b.Count);
                b[at] ^= (byte)(1 << rng.Next(8));
                break;
            }
            case 1 when b.Count > 0: // a random byte
                b[rng.Next(b.Count)] = (byte)rng.Next(256);
                break;
            case 2: // truncate
            {
                int cut = rng.Next(b.Count + 1);
                b.RemoveRange(cut, b.Count - cut);
                break;
            }
            case 3: // append junk
                for (int k = rng.Next(1, 64); k > 0; k--) b.Add((byte)rng.Next(256));
                break;
            case 4: // insert or delete a byte
                if (b.Count > 0 && rng.Next(2) == 0) b.RemoveAt(rng.Next(b.Count));
                else b.Insert(rng.Next(b.Count + 1), (byte)rng.Next(256));
                break;
            case 5 when fields.Length > 0: // a length field set to a boundary value
            case 6 when fields.Length > 0:
                SetU32(b, fields[rng.Next(fields.Length)], Value(rng));
                break;
            default: // any 32-bit window set to a boundary value
                if (b.Count >= 4) SetU32(b, rng.Next(b.Count - 3), Value(rng));
                break;
        }
    }

    private static uint Value(Random rng) => rng.Next(4) == 0 ? (uint)rng.NextInt64(0, 1L << 32) : Interesting[rng.Next(Interesting.Length)];

    private static void SetU32(List<byte> b, int at, uint value)
    {
        if (at < 0 || at + 4 > b.Count) return;
        Span<byte> v = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(v, value);
        for (int k = 0; k < 4; k++) b[at + k] = v[k];
    }

    /// <summary>Bytes this thread allocated while running <paramref name="parse"/>.</summary>
    public static long Allocated(Action parse)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        parse();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
