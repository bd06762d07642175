using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;
using ActorTrainer.Core.Tests.TestUtil;
using ActorTrainer.Core.Tests.Truncation;

namespace ActorTrainer.Core.Tests.Rnn;

/// <summary>Engine behaviour beyond matching the reference: the carried h, history bookkeeping, evaluation, bad input.</summary>
public class BpttEngineTests
{
    private static RnnProblem Problem(int n = 8, int b = 2, LossKind loss = LossKind.SoftmaxCrossEntropy)
        => EngineMatchesReferenceTests.Problem(Activation.Tanh, loss, b, n);

    private static float[] Grad(RnnProblem p) => new float[p.Spec.Shape.Count];

    private static double[] Scaled(float[] meanGrad, double count) => meanGrad.Select(g => g * count).ToArray();

    private static double[] Fd(Func<double[], double> loss, double[] w)
        => Enumerable.Range(0, w.Length).Select(i => FiniteDifferences.Derivative(loss, w, i)).ToArray();

    [Fact]
    public void Subsequence_gradient_of_a_chunk_equals_a_fresh_engine_given_the_carried_h_as_plain_input()
    {
        RnnProblem p = Problem();
        var scheme = new TruncationScheme.Subsequence(4);
        Chunk a = p.SubSequence(0, 4), c = p.SubSequence(4, 4);
        float[] h = (float[])p.H0.Clone(), g = Grad(p);
        var engine = new BpttEngine(p.Spec, scheme, p.B, 4);
        engine.ForwardBackward(p.W, a, h, g);
        float[] carried = (float[])h.Clone();
        float loss = engine.ForwardBackward(p.W, c, h, g);

        float[] h2 = (float[])carried.Clone(), g2 = Grad(p);
        float loss2 = new BpttEngine(p.Spec, scheme, p.B, 4).ForwardBackward(p.W, c, h2, g2);
        Assert.Equal(loss2, loss);
        Assert.Equal(g2, g);
        Assert.Equal(h2, h);
    }

    /// <summary>
    /// L₂(W) = Σ of the second chunk's losses. Through the carried h it also depends on W via the first chunk.
    /// Subsequence differentiates L₂ with that h frozen; the part through the previous chunk is excluded, so
    /// FD of the frozen L₂ matches, FD of the dependent L₂ does not (in Whh), and the output layer, which the
    /// carried h does not see, agrees with both.
    /// </summary>
    [Fact]
    public void Subsequence_excludes_the_gradient_through_the_previous_chunk()
    {
        RnnProblem p = Problem();
        var engine = new BpttEngine(p.Spec, new TruncationScheme.Subsequence(4), p.B, 4);
        float[] h = (float[])p.H0.Clone(), g = Grad(p);
        engine.ForwardBackward(p.W, p.SubSequence(0, 4), h, g);
        double[] carried = Numeric.ToDouble(h);
        engine.ForwardBackward(p.W, p.SubSequence(4, 4), h, g);
        double[] engineGrad = Scaled(g, p.B * 4);

        Chunk first = p.SubSequence(0, 4), second = p.SubSequence(4, 4);
        double[] frozen = Fd(w => BpttReference.Loss(p.Spec, w, second, carried), p.WD);
        double[] dependent = Fd(w => BpttReference.Loss(p.Spec, w, p.Seq, p.H0D) - BpttReference.Loss(p.Spec, w, first, p.H0D), p.WD);

        ModelShape s = p.Spec.Shape;
        Numeric.AssertClose(frozen, engineGrad, EngineMatchesReferenceTests.Rtol, "against frozen-h FD");
        Assert.True(Numeric.Differ(dependent.AsSpan(s.WhhOffset, s.H * s.H).ToArray(),
            engineGrad.AsSpan(s.WhhOffset, s.H * s.H).ToArray(), 10 * EngineMatchesReferenceTests.Rtol),
            "the gradient through the previous chunk should be missing from dWhh");
        Numeric.AssertClose(dependent.AsSpan(s.WhyOffset).ToArray(), engineGrad.AsSpan(s.WhyOffset).ToArray(),
            EngineMatchesReferenceTests.Rtol, "Why, By (not reached by the carried h)");
    }

    [Fact]
    public void Full_gradient_of_a_later_chunk_reaches_into_the_stored_earlier_chunk()
    {
        RnnProblem p = Problem();
        var engine = new BpttEngine(p.Spec, new TruncationScheme.Full(), p.B, 4);
        float[] h = (float[])p.H0.Clone(), g = Grad(p);
        engine.ForwardBackward(p.W, p.SubSequence(0, 4), h, g);
        engine.ForwardBackward(p.W, p.SubSequence(4, 4), h, g);

        Chunk first = p.SubSequence(0, 4);
        double[] dependent = Fd(w => BpttReference.Loss(p.Spec, w, p.Seq, p.H0D) - BpttReference.Loss(p.Spec, w, first, p.H0D), p.WD);
        Numeric.AssertClose(dependent, Scaled(g, p.B * 4), EngineMatchesReferenceTests.Rtol, "second chunk, full BPTT");
    }

    [Theory]
    [InlineData("full")]
    [InlineData("k(3)")]
    [InlineData("subsequence(4)")]
    public void ForwardLoss_leaves_the_training_history_untouched(string schemeName)
    {
        TruncationScheme scheme = BpttReferenceTests.Parse(schemeName);
        RnnProblem p = Problem();
        RnnProblem other = EngineMatchesReferenceTests.Problem(Activation.Tanh, LossKind.SoftmaxCrossEntropy, 2, 3, seed: 99);
        Chunk a = p.SubSequence(0, 4), c = p.SubSequence(4, 4);

        float[] run(bool evaluateBetween)
        {
            var engine = new BpttEngine(p.Spec, scheme, p.B, 4);
            float[] h = (float[])p.H0.Clone(), g = Grad(p);
            engine.ForwardBackward(p.W, a, h, g);
            if (evaluateBetween)
            {
                float[] hEval = (float[])other.H0.Clone();
                engine.ForwardLoss(p.W, other.Seq, hEval);
            }
            engine.ForwardBackward(p.W, c, h, g);
            return [.. g, .. h];
        }
        Assert.Equal(run(false), run(true));
    }

    [Fact]
    public void ForwardLoss_returns_the_mean_loss_and_advances_h_like_the_reference()
    {
        RnnProblem p = Problem(n: 5, b: 3, loss: LossKind.MeanSquaredError);
        var engine = new BpttEngine(p.Spec, new TruncationScheme.KStep(2), p.B, 8);
        float[] h = (float[])p.H0.Clone();
        float loss = engine.ForwardLoss(p.W, p.Seq, h);

        Numeric.AssertClose(BpttReference.Loss(p.Spec, p.WD, p.Seq, p.H0D) / (p.B * p.N), loss, EngineMatchesReferenceTests.Rtol, "mean loss");
        int bh = p.B * p.Spec.Shape.H;
        double[] hs = BpttReference.Forward(p.Spec, p.WD, p.Seq, p.H0D).H;
        Numeric.AssertClose(hs.AsSpan((p.N - 1) * bh, bh), Numeric.ToDouble(h), EngineMatchesReferenceTests.Rtol, "h after");
        Assert.Equal(0, engine.Step);

        float[] h2 = (float[])p.H0.Clone();
        Assert.Equal(loss, engine.ForwardBackward(p.W, p.Seq, h2, Grad(p)));
        Assert.Equal(h, h2);
    }

    [Theory]
    [InlineData("full", new[] { 2, 4, 6 })]
    [InlineData("k(3)", new[] { 2, 3, 3 })]
    [InlineData("k(0)", new[] { 0, 0, 0 })]
    [InlineData("subsequence(2)", new[] { 0, 0, 0 })]
    public void Stored_history_holds_what_later_gradients_can_reach(string schemeName, int[] stored)
    {
        RnnProblem p = Problem(n: 6);
        var engine = new BpttEngine(p.Spec, BpttReferenceTests.Parse(schemeName), p.B, 2);
        float[] h = (float[])p.H0.Clone(), g = Grad(p);
        Chunk chunk = p.NewChunk(2);
        for (int i = 0; i < 3; i++)
        {
            p.CopySteps(2 * i, 2, chunk);
            engine.ForwardBackward(p.W, chunk, h, g);
            Assert.Equal(2 * (i + 1), engine.Step);
            Assert.Equal(stored[i], engine.StoredSteps);
        }
        engine.ResetHistory();
        Assert.Equal(0, engine.Step);
        Assert.Equal(0, engine.StoredSteps);
    }

    [Fact]
    public void After_ResetHistory_a_full_engine_matches_a_fresh_one()
    {
        RnnProblem p = Problem();
        var engine = new BpttEngine(p.Spec, new TruncationScheme.Full(), p.B, 4);
        float[] h = (float[])p.H0.Clone(), g = Grad(p);
        engine.ForwardBackward(p.W, p.SubSequence(0, 4), h, g);
        engine.ResetHistory();
        float[] hA = (float[])p.H0.Clone(), hB = (float[])p.H0.Clone(), gB = Grad(p);
        engine.ForwardBackward(p.W, p.SubSequence(4, 4), hA, g);
        new BpttEngine(p.Spec, new TruncationScheme.Full(), p.B, 4).ForwardBackward(p.W, p.SubSequence(4, 4), hB, gB);
        Assert.Equal(gB, g);
        Assert.Equal(hB, hA);
    }
}
