using System.Diagnostics;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// Decorates a worker's computer with the wall time spent inside <see cref="ComputeNext"/>, so a
/// sweep can tell how much of a run each worker computed and how much it waited (for weights, for the
/// server's answer, for its turn). Wall time, not CPU time: with more workers than cores, the time a
/// worker waits for a core while computing counts as computing. Written only by the worker's thread;
/// read with <see cref="ComputeSeconds"/> after the run. <see cref="ActiveSeconds"/> spans from the
/// first chunk's start to the last chunk's end: a worker node's own wall time in the run.
/// </summary>
public sealed class TimedComputer(IGradientComputer inner) : IGradientComputer
{
    private readonly IGradientComputer _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private long _ticks, _chunks, _firstStart, _lastEnd;

    public int ParameterCount => _inner.ParameterCount;
    public int TokensPerChunk => _inner.TokensPerChunk;

    /// <summary>Seconds spent computing so far.</summary>
    public double ComputeSeconds => (double)Volatile.Read(ref _ticks) / Stopwatch.Frequency;

    /// <summary>Seconds from the first chunk's start to the last chunk's end; 0 before any chunk.</summary>
    public double ActiveSeconds => Chunks == 0 ? 0 : (double)(Volatile.Read(ref _lastEnd) - Volatile.Read(ref _firstStart)) / Stopwatch.Frequency;

    /// <summary>Chunks computed so far.</summary>
    public long Chunks => Volatile.Read(ref _chunks);

    public ChunkOutcome ComputeNext(ReadOnlySpan<float> w, Span<float> grad)
    {
        long start = Stopwatch.GetTimestamp();
        if (_chunks == 0) Volatile.Write(ref _firstStart, start);
        try { return _inner.ComputeNext(w, grad); }
        finally
        {
            long end = Stopwatch.GetTimestamp();
            Volatile.Write(ref _lastEnd, end);
            Volatile.Write(ref _ticks, _ticks + (end - start));
            Volatile.Write(ref _chunks, _chunks + 1);
        }
    }

    public WorkerSnapshot Snapshot() => _inner.Snapshot();
    public void Restore(WorkerSnapshot snapshot) => _inner.Restore(snapshot);
    public void CopyHidden(Span<float> destination) => _inner.CopyHidden(destination);
}
