using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Cli.Scaling;
using ActorTrainer.Cli.Scaling.Simulation;
using ActorTrainer.Cli.Settings;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Tests.Scaling;

/// <summary>A probe that cannot measure says which and why (the sweep prints it as one error line), on one
/// thread and on several.</summary>
public sealed class SimCostProbeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_chunk_that_throws_is_a_probe_failure_naming_the_probe_and_the_cause(int threads)
    {
        var settings = TrainSettingsLoader.Defaults with { Hidden = 8, Batch = 2, Chunk = 5, Workers = threads };
        var target = new FailingComputers(new CorpusScaleTarget(settings, validationTokens: 400));

        var e = Assert.Throws<ProbeFailedException>(() => SimCostProbe.Chunk(target, chunk: 5, threads, seconds: 0.01));

        Assert.Contains("the chunk probe (k=5", e.Message);
        Assert.Contains("out of memory on purpose", e.Message);
    }

    /// <summary>The real target, whose computers throw on their first chunk.</summary>
    private sealed class FailingComputers(IScaleTarget inner) : IScaleTarget
    {
        public string Description => inner.Description;
        public string ModelShape => inner.ModelShape;
        public int ParameterCount => inner.ParameterCount;
        public string Optimizer => inner.Optimizer;
        public float[] InitialWeights() => inner.InitialWeights();
        public IReadOnlyList<IGradientComputer> CreateComputers(int workers, int chunk) =>
            inner.CreateComputers(workers, chunk).Select(c => (IGradientComputer)new Throwing(c)).ToList();
        public IUpdateRule CreateUpdateRule() => inner.CreateUpdateRule();
        public Core.Checkpoints.ModelCheckpointData ReadCheckpoint(string checkpointPath) => inner.ReadCheckpoint(checkpointPath);
        public double ValidationLoss(ReadOnlySpan<float> w) => inner.ValidationLoss(w);
    }

    private sealed class Throwing(IGradientComputer inner) : IGradientComputer
    {
        public int ParameterCount => inner.ParameterCount;
        public int TokensPerChunk => inner.TokensPerChunk;
        public ChunkOutcome ComputeNext(ReadOnlySpan<float> w, Span<float> grad) => throw new InsufficientMemoryException("out of memory on purpose");
        public WorkerSnapshot Snapshot() => inner.Snapshot();
        public void Restore(WorkerSnapshot snapshot) => inner.Restore(snapshot);
    }
}
