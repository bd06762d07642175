using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Training;
using ActorTrainer.Core.Truncation;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Coordinator;

/// <summary>
/// In-process runs of the real numerical core (StreamGradientComputer over the built-in corpus) in
/// the TestKit's ActorSystem with serialize-messages on, so every gradient and weights message
/// crosses the tensor serializer as it would between nodes.
/// </summary>
public sealed class RealTrainingRunTests : TestKit
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(120);
    private static readonly CharCorpus Corpus = DefaultCorpus.Load();

    public RealTrainingRunTests() : base(TestHocon.Config) { }

    private sealed record Setup(ModelSpec Spec, StreamLayout Layout, int Workers, int B, int K, float? Clip, int Seed)
    {
        public static Setup Of(int workers, int b, int k = 10, float? clip = 5f, int seed = 1, int h = 32)
        {
            int v = Corpus.Vocabulary.Size;
            return new(new ModelSpec(new ModelShape(v, h, v)), new StreamLayout(Corpus.TrainTokens.Length, workers * b, k), workers, b, k, clip, seed);
        }

        public IReadOnlyList<IGradientComputer> Computers() => Enumerable.Range(0, Workers)
            .Select(i => (IGradientComputer)new StreamGradientComputer(Spec, new TruncationScheme.Subsequence(K), Corpus.TrainTokens,
                Layout, i * B, B, Clip, null)).ToList();

        public double ValidationLoss(float[] w)
        {
            var tokens = Corpus.ValidationTokens[..8_000];
            var streams = Enumerable.Range(0, 4).Select(s => tokens.Slice(s * 2000, 2000).ToArray()).ToList();
            return new Evaluator(Spec, 4, K).MeanLoss(w, streams);
        }
    }

    private async Task<(TrainingResult Result, List<UpdateApplied> Updates)> Run(
        Setup s, ConsistencyMode mode, int updates, Optimizer optimizer, int staleness = 0)
    {
        var log = new List<UpdateApplied>();
        var w0 = Initializer.Create(s.Spec.Shape, s.Seed);
        var result = await TrainingRun.RunAsync(Sys,
            new TrainingRunSettings(mode, updates, ModelFingerprint.Of(s.Spec).Shape, staleness), s.Computers(), w0,
            new OptimizerUpdateRule(optimizer), new TrainingCallbacks { OnUpdate = log.Add }).WaitAsync(Hang);
        return (result, log);
    }

    [Theory]
    [InlineData(ConsistencyMode.Sync)]
    [InlineData(ConsistencyMode.Async)]
    [InlineData(ConsistencyMode.Ssp)]
    public async Task Two_workers_lower_validation_loss(ConsistencyMode mode)
    {
        var s = Setup.Of(workers: 2, b: 4);
        double before = s.ValidationLoss(Initializer.Create(s.Spec.Shape, s.Seed));
        var (result, log) = await Run(s, mode, 150, new Adam(0.01f), staleness: 1);
        double after = s.ValidationLoss(result.Weights);
        Assert.Equal(CompletionReason.ReachedMaxUpdates, result.Reason);
        Assert.Equal(150, log.Count);
        Assert.True(after < before - 0.8, $"validation loss {before:F3} → {after:F3}");
        if (mode == ConsistencyMode.Ssp) Assert.All(log, u => Assert.InRange(u.Staleness, 0, 1));
    }

    [Fact]
    public async Task Sync_runs_with_a_fixed_seed_apply_bit_identical_updates()
    {
        var s = Setup.Of(workers: 2, b: 3, seed: 5);
        var (a, logA) = await Run(s, ConsistencyMode.Sync, 40, new Adam(0.01f));
        var (b, logB) = await Run(s, ConsistencyMode.Sync, 40, new Adam(0.01f));
        Assert.Equal(logA.Select(u => (u.Loss, u.GradNorm, u.Clipped, string.Join(",", u.ChunkIds))),
                     logB.Select(u => (u.Loss, u.GradNorm, u.Clipped, string.Join(",", u.ChunkIds))));
        Assert.Equal(a.Weights, b.Weights);
    }

    [Fact]
    public async Task Without_clipping_sync_n_workers_of_b_streams_equal_one_worker_of_n_times_b()
    {
        var (two, _) = await Run(Setup.Of(workers: 2, b: 3, clip: null), ConsistencyMode.Sync, 20, new Sgd(0.5f));
        var (one, _) = await Run(Setup.Of(workers: 1, b: 6, clip: null), ConsistencyMode.Sync, 20, new Sgd(0.5f));
        double maxDiff = two.Weights.Zip(one.Weights, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(maxDiff < 1e-4, $"max |ΔW| = {maxDiff}");
        // Sharp enough to see a different assignment of streams (3 workers of 2 read other streams).
        var (three, _) = await Run(Setup.Of(workers: 3, b: 3, clip: null), ConsistencyMode.Sync, 20, new Sgd(0.5f));
        Assert.True(three.Weights.Zip(one.Weights, (x, y) => Math.Abs(x - y)).Max() > 1e-3);
    }
}
