using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;
using ActorTrainer.Core.Tests.TestUtil;
using ActorTrainer.Core.Tests.Truncation;

namespace ActorTrainer.Core.Tests.Rnn;

public class EvaluatorTests
{
    private static int[][] Streams(int b, int length, int v, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, length).Select(_ => rng.Next(v)).ToArray()).ToArray();
    }

    /// <summary>The streams as one sequence for the reference: input stream[t], target stream[t+1] (one-hot vectors for MSE).</summary>
    private static Chunk AsSequence(int[][] streams, ModelSpec spec)
    {
        int B = streams.Length, N = streams[0].Length - 1, O = spec.Shape.O;
        bool ce = spec.Loss == LossKind.SoftmaxCrossEntropy;
        Chunk seq = Chunk.Mixed(B, N, tokenInputs: true, spec.Shape.V, tokenTargets: ce, O);
        for (int t = 0; t < N; t++)
        for (int b = 0; b < B; b++)
        {
            seq.InputTokens![t * B + b] = streams[b][t];
            if (ce) seq.TargetTokens![t * B + b] = streams[b][t + 1];
            else seq.TargetVectors![(t * B + b) * O + streams[b][t + 1]] = 1;
        }
        return seq;
    }

    [Theory]
    [InlineData(LossKind.SoftmaxCrossEntropy)]
    [InlineData(LossKind.MeanSquaredError)]
    public void Mean_loss_over_streams_equals_the_reference_loss_per_prediction(LossKind loss)
    {
        var spec = new ModelSpec(new ModelShape(5, 4, 5), Activation.Tanh, loss);
        float[] w = Initializer.Create(spec.Shape, 2, new InitOptions(Scale: 2, WhhSpectralRadius: 0.9));
        int[][] streams = Streams(3, 11, 5, seed: 1);
        double mean = new Evaluator(spec, 3, 4).MeanLoss(w, streams);     // chunks of 4, 4, 2

        double reference = BpttReference.Loss(spec, w.Select(v => (double)v).ToArray(), AsSequence(streams, spec), new double[3 * 4]);
        Numeric.AssertClose(reference / (3 * 10), mean, EngineMatchesReferenceTests.Rtol, "mean loss");
    }

    [Fact]
    public void Mean_loss_is_the_prediction_weighted_mean_of_ForwardLoss_over_the_chunks()
    {
        RnnProblem p = EngineMatchesReferenceTests.Problem(Activation.Relu, LossKind.MeanSquaredError, 2, 7);
        Chunk[] chunks = [p.SubSequence(0, 3), p.SubSequence(3, 3), p.SubSequence(6, 1)];
        var engine = new BpttEngine(p.Spec, new TruncationScheme.Full(), p.B, 3);
        float[] h = (float[])p.H0.Clone();
        double weighted = chunks.Sum(c => (double)engine.ForwardLoss(p.W, c, h) * c.T) / 7;

        float[] h2 = (float[])p.H0.Clone();
        double mean = new Evaluator(p.Spec, p.B, 3).MeanLoss(p.W, chunks, h2);
        Numeric.AssertClose(weighted, mean, 1e-6, "mean of ForwardLoss");
        Assert.Equal(h, h2);
    }

    [Fact]
    public void Bad_streams_are_rejected()
    {
        var spec = new ModelSpec(new ModelShape(5, 4, 5));
        float[] w = Initializer.Create(spec.Shape, 2);
        var eval = new Evaluator(spec, 2, 4);
        Assert.Throws<ArgumentException>(() => eval.MeanLoss(w, Streams(3, 6, 5, 1)));
        Assert.Throws<ArgumentException>(() => eval.MeanLoss(w, [[1, 2, 3], [1, 2]]));
        Assert.Throws<ArgumentException>(() => eval.MeanLoss(w, [[1], [2]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => eval.MeanLoss(w, [[1, 2, 7], [1, 2, 3]]));
    }
}
