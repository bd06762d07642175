using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Training;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Actors.Tests.Simulation;

/// <summary>The real numerical core on the built-in corpus, small enough for many runs in a test:
/// n workers of B streams, chunks of k, Elman RNN with H hidden units, clipped at 5.</summary>
internal sealed record RealModel(ModelSpec Spec, StreamLayout Layout, int Workers, int B, int K, int Seed)
{
    private static readonly CharCorpus Corpus = DefaultCorpus.Load();

    public static RealModel Of(int workers, int b = 3, int k = 8, int h = 16, int seed = 1)
    {
        int v = Corpus.Vocabulary.Size;
        return new(new ModelSpec(new ModelShape(v, h, v)), new StreamLayout(Corpus.TrainTokens.Length, workers * b, k), workers, b, k, seed);
    }

    public string Shape => ModelFingerprint.Of(Spec).Shape;

    public float[] InitialWeights() => Initializer.Create(Spec.Shape, Seed);

    public IUpdateRule Rule() => new OptimizerUpdateRule(new Adam(0.01f));

    public IReadOnlyList<IGradientComputer> Computers() => Enumerable.Range(0, Workers)
        .Select(i => (IGradientComputer)new StreamGradientComputer(Spec, new TruncationScheme.Subsequence(K), Corpus.TrainTokens,
            Layout, i * B, B, 5f, null)).ToList();
}
