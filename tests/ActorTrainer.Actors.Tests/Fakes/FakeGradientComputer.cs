using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.Fakes;

/// <summary>
/// A stand-in for the core's BPTT computer: gradient = (w − target) + noise, so SGD on it converges
/// to the target. Carries a chunk index and a "hidden state" (running sum of w[0]) from chunk to
/// chunk like a real computer, and records what it was called with: w[0] of every call (tests
/// that fill W with its version read the version from it) and whether the call ran on a thread-pool
/// thread. Not thread-safe, like the real one; read the records only after the run has completed.
/// </summary>
internal sealed class FakeGradientComputer : IGradientComputer
{
    private readonly float[] _target;
    private readonly Random? _noise;
    private readonly float _noiseScale;
    private long _nextChunk;
    private float _hidden;

    public FakeGradientComputer(float[] target, int? noiseSeed = null, float noiseScale = 0.01f)
    {
        _target = target;
        _noise = noiseSeed is { } seed ? new Random(seed) : null;
        _noiseScale = noiseScale;
    }

    /// <summary>Chunk indices whose gradient comes out non-finite.</summary>
    public HashSet<long> NonFiniteChunks { get; } = new();
    /// <summary>Throw on this chunk index (a crashing computer).</summary>
    public long? ThrowAtChunk { get; init; }

    public List<float> FirstWeightSeen { get; } = new();
    public List<bool> RanOnThreadPool { get; } = new();
    public float Hidden => _hidden;

    public int ParameterCount => _target.Length;
    public int TokensPerChunk => 8;

    public ChunkOutcome ComputeNext(ReadOnlySpan<float> w, Span<float> grad)
    {
        long chunk = _nextChunk++;
        if (chunk == ThrowAtChunk) throw new InvalidOperationException($"fake computer fails at chunk {chunk}");
        FirstWeightSeen.Add(w[0]);
        RanOnThreadPool.Add(Thread.CurrentThread.IsThreadPoolThread);
        _hidden += w[0]; // carried across chunks

        double loss = 0, norm2 = 0;
        for (int i = 0; i < w.Length; i++)
        {
            float d = w[i] - _target[i];
            grad[i] = d + (_noise is null ? 0f : (float)(_noise.NextDouble() - 0.5) * _noiseScale);
            loss += 0.5 * d * d;
            norm2 += (double)grad[i] * grad[i];
        }
        bool finite = !NonFiniteChunks.Contains(chunk);
        if (!finite) grad.Fill(float.NaN);
        return new ChunkOutcome((float)(loss / w.Length), Math.Sqrt(norm2), Clipped: false, finite, TokensPerChunk, chunk, StateReset: false);
    }

    public WorkerSnapshot Snapshot() => new(0, 1, _nextChunk, [_hidden]);

    public void Restore(WorkerSnapshot snapshot)
    {
        _nextChunk = snapshot.NextChunk;
        _hidden = snapshot.Hidden[0];
    }
}
