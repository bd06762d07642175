using System.Diagnostics;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// Single-thread memory-copy bandwidth: <see cref="Span{T}.CopyTo"/> of a buffer far larger than
/// the caches (64 MiB by default), best of several repeats. Reported STREAM-style, counting the bytes
/// read plus the bytes written (2 × size per copy), so it compares directly with the bytes a
/// parameter-server update reads and writes. One thread, because one server (shard) is one thread.
/// </summary>
public static class MemoryBandwidth
{
    public const int DefaultBytes = 64 << 20;

    /// <summary>Copy bandwidth in bytes/s (read + write). <paramref name="bytes"/> ≥ 1 MiB.</summary>
    public static double MeasureCopy(int bytes = DefaultBytes, int repeats = 8)
    {
        if (bytes < 1 << 20) throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "use at least 1 MiB so the copy is not served from cache");
        if (repeats <= 0) throw new ArgumentOutOfRangeException(nameof(repeats), repeats, "repeats must be positive");
        var src = new byte[bytes];
        var dst = new byte[bytes];
        src.AsSpan().Fill(1);
        dst.AsSpan().Fill(2); // touch every page of both before timing
        double best = double.PositiveInfinity;
        for (int r = 0; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            src.AsSpan().CopyTo(dst);
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        if (dst[^1] != 1) throw new InvalidOperationException("copy did not happen"); // also keeps the copy observable
        return 2.0 * bytes / best;
    }
}
