using System.Diagnostics;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// Decorates a worker's computer with the wall time spent inside <see cref="ComputeNext"/>, so a
/// sweep can tell how much of a run each worker computed and how much it waited (for weights, for the
/// server's answer, for its turn). Wall time, not CPU time: with more workers than cores, the time a
/// worker waits for a core while computing counts as computing. Written only by the worker's thread;
/// read with <see cref="ComputeSeconds"/> after the run.
/// </summary>
public sealed class TimedComputer(IGradientComputer inner) : IGradientComputer
{
    private readonly IGradientComputer _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private long _ticks, _chunks;

    public int ParameterCount => _inner.ParameterCount;
    public int TokensPerChunk => _inner.TokensPerChunk;

    /// <summary>Seconds spent computing so far.</summary>
    public double ComputeSeconds => (double)Volatile.Read(ref _ticks) / Stopwatch.Frequency;

    /// <summary>Chunks computed so far.</summary>
    public long Chunks => Volatile.Read(ref _chunks);

    public ChunkOutcome ComputeNext(ReadOnlySpan<float> w, Span<float> grad)
    {
        long start = Stopwatch.GetTimestamp();
        try { return _inner.ComputeNext(w, grad); }
        finally
        {
            Volatile.Write(ref _ticks, _ticks + (Stopwatch.GetTimestamp() - start));
            Volatile.Write(ref _chunks, _chunks + 1);
        }
    }

    public WorkerSnapshot Snapshot() => _inner.Snapshot();
    public void Restore(WorkerSnapshot snapshot) => _inner.Restore(snapshot);
}
