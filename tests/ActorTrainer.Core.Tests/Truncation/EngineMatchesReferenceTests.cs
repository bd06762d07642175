using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;
using ActorTrainer.Core.Tests.Rnn;
using ActorTrainer.Core.Tests.TestUtil;

namespace ActorTrainer.Core.Tests.Truncation;

/// <summary>
/// Each truncation scheme: the fast float engine fed the sequence chunk by chunk at a fixed W, its mean
/// gradients rescaled to sums and summed over chunks, equals the literal double reference on the whole
/// sequence with the same f(t).
/// </summary>
public class EngineMatchesReferenceTests
{
    /// <summary>Float engine vs double reference, relative to the entry (floor: 1e-3 of the block's largest).</summary>
    internal const double Rtol = 2e-4;

    public static TheoryData<string, Activation, LossKind, int, int[]> Cases => new()
    {
        { "full", Activation.Tanh, LossKind.SoftmaxCrossEntropy, 1, [3, 3, 1] },
        { "full", Activation.Relu, LossKind.MeanSquaredError, 3, [2, 5] },
        { "full", Activation.Identity, LossKind.SoftmaxCrossEntropy, 2, [1, 1, 4, 1] },
        { "full", Activation.Tanh, LossKind.MeanSquaredError, 2, [8] },
        { "k(0)", Activation.Tanh, LossKind.SoftmaxCrossEntropy, 2, [3, 3, 2] },
        { "k(1)", Activation.Relu, LossKind.SoftmaxCrossEntropy, 3, [2, 2, 2, 2] },
        { "k(2)", Activation.Tanh, LossKind.MeanSquaredError, 1, [4, 4, 1] },
        { "k(3)", Activation.Identity, LossKind.MeanSquaredError, 2, [1, 2, 1, 3, 2] },
        { "k(3)", Activation.Tanh, LossKind.SoftmaxCrossEntropy, 2, [3, 3, 3] },
        { "k(5)", Activation.Relu, LossKind.MeanSquaredError, 2, [2, 2, 2, 2, 1] },
        { "subsequence(1)", Activation.Tanh, LossKind.SoftmaxCrossEntropy, 2, [1, 1, 1, 1] },
        { "subsequence(3)", Activation.Tanh, LossKind.SoftmaxCrossEntropy, 3, [3, 3, 2] },
        { "subsequence(4)", Activation.Relu, LossKind.MeanSquaredError, 2, [4, 4, 4] },
        { "subsequence(4)", Activation.Identity, LossKind.SoftmaxCrossEntropy, 1, [4, 4, 1] },
        { "subsequence(5)", Activation.Tanh, LossKind.MeanSquaredError, 2, [3] },
        // chunks across subsequence boundaries (f(t) varies within a chunk): the engine keeps the steps f reaches
        { "subsequence(4)", Activation.Tanh, LossKind.SoftmaxCrossEntropy, 2, [3, 4, 2, 5] },
        { "subsequence(3)", Activation.Relu, LossKind.MeanSquaredError, 1, [2, 2, 2, 3] },
    };

    internal static RnnProblem Problem(Activation phi, LossKind loss, int b, int n, int seed = 17, bool? tokenInputs = null) =>
        loss == LossKind.SoftmaxCrossEntropy
            ? RnnProblem.Create(phi, loss, v: 5, h: 4, o: 5, b, n, seed, tokenInputs: tokenInputs)
            : RnnProblem.Create(phi, loss, v: 3, h: 4, o: 2, b, n, seed, tokenInputs: tokenInputs);

    internal static void AssertEngineMatchesReference(RnnProblem p, TruncationScheme scheme, int[] chunks, int? maxT = null)
    {
        var (refLoss, refGrad) = p.RunReference(scheme);
        var (loss, grad, hLast) = p.RunEngine(scheme, maxT ?? chunks.Max(), chunks);

        Numeric.AssertClose(refLoss, loss, Rtol, $"{scheme} loss");
        foreach (var (name, offset, dims) in p.Spec.Shape.Blocks)
        {
            int size = dims.Aggregate(1, (a, d) => a * d);
            Numeric.AssertClose(refGrad.AsSpan(offset, size), grad.AsSpan(offset, size), Rtol, $"{scheme} {name}");
        }
        double[] hs = BpttReference.Forward(p.Spec, p.WD, p.Seq, p.H0D).H;
        int bh = p.B * p.Spec.Shape.H;
        Numeric.AssertClose(hs.AsSpan((p.N - 1) * bh, bh), Numeric.ToDouble(hLast), Rtol, $"{scheme} last h");
    }

    private static double[] Block(double[] g, (string Name, int Offset, int[] Dims) blk)
        => g.AsSpan(blk.Offset, blk.Dims.Aggregate(1, (a, d) => a * d)).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Engine_chunk_by_chunk_equals_reference_on_the_whole_sequence(string schemeName, Activation phi, LossKind loss, int b, int[] chunks)
    {
        TruncationScheme scheme = BpttReferenceTests.Parse(schemeName);
        RnnProblem p = Problem(phi, loss, b, chunks.Sum());
        AssertEngineMatchesReference(p, scheme, chunks);

        // The comparison can tell this scheme from the mistake next to it.
        TruncationScheme neighbour = scheme switch
        {
            TruncationScheme.Full => new TruncationScheme.Subsequence(chunks[0]),   // history ignored
            TruncationScheme.KStep k => new TruncationScheme.KStep(k.K + 1),        // one step too far
            _ => new TruncationScheme.Full(),                                        // carried h not constant
        };
        double[] mine = p.RunReference(scheme).Grad, other = p.RunReference(neighbour).Grad;
        bool same = mine.SequenceEqual(other);        // e.g. subsequence(5) on 3 steps is full BPTT
        Assert.True(same || p.Spec.Shape.Blocks.Any(blk => Numeric.Differ(Block(other, blk), Block(mine, blk), 10 * Rtol)),
            $"{scheme} vs {neighbour}: within 10× the tolerance everywhere; the test could not tell them apart");
    }

    [Theory]
    [InlineData("full")]
    [InlineData("k(2)")]
    [InlineData("subsequence(3)")]
    public void Token_inputs_with_vector_targets_and_dense_inputs_with_token_targets_match_reference(string schemeName)
    {
        TruncationScheme scheme = BpttReferenceTests.Parse(schemeName);
        AssertEngineMatchesReference(Problem(Activation.Tanh, LossKind.MeanSquaredError, 2, 7, tokenInputs: true), scheme, [3, 3, 1]);
        AssertEngineMatchesReference(Problem(Activation.Tanh, LossKind.SoftmaxCrossEntropy, 2, 7, tokenInputs: false), scheme, [3, 3, 1]);
    }

    [Theory]
    [InlineData("full")]
    [InlineData("k(1)")]
    [InlineData("subsequence(4)")]
    public void Chunks_shorter_than_MaxT_one_stream_and_one_hidden_unit_match_reference(string schemeName)
    {
        TruncationScheme scheme = BpttReferenceTests.Parse(schemeName);
        AssertEngineMatchesReference(Problem(Activation.Tanh, LossKind.SoftmaxCrossEntropy, 2, 7), scheme, [4, 3], maxT: 9);
        AssertEngineMatchesReference(RnnProblem.Create(Activation.Tanh, LossKind.SoftmaxCrossEntropy, 3, 1, 3, 1, 6, seed: 2),
            scheme, [4, 2]);
    }

    [Theory]
    [InlineData(Activation.Tanh, LossKind.SoftmaxCrossEntropy)]
    [InlineData(Activation.Relu, LossKind.MeanSquaredError)]
    public void KStep_and_subsequence_with_k_at_least_T_equal_full_in_the_engine(Activation phi, LossKind loss)
    {
        RnnProblem p = Problem(phi, loss, 2, 6);
        double[] full = p.RunEngine(new TruncationScheme.Full(), [2, 3, 1]).Grad;
        Numeric.AssertClose(full, p.RunEngine(new TruncationScheme.KStep(6), [2, 3, 1]).Grad, 1e-5, "k(6)");
        Numeric.AssertClose(full, p.RunEngine(new TruncationScheme.KStep(5), [2, 3, 1]).Grad, 1e-5, "k(5)");
        Numeric.AssertClose(full, p.RunEngine(new TruncationScheme.Subsequence(6), [6]).Grad, 1e-5, "subsequence(6)");
        Numeric.AssertClose(full, p.RunEngine(new TruncationScheme.Subsequence(8), [6]).Grad, 1e-5, "subsequence(8)");
    }
}
