using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;
using ActorTrainer.Core.Tests.Truncation;

namespace ActorTrainer.Core.Tests.Rnn;

/// <summary>Bad input and misuse give clear exceptions; the chunk loop does not allocate.</summary>
public class BpttEngineInputTests
{
    private static readonly RnnProblem P = EngineMatchesReferenceTests.Problem(Activation.Tanh, LossKind.SoftmaxCrossEntropy, 2, 8);

    private static (BpttEngine Engine, float[] H, float[] G) New(TruncationScheme scheme, int maxT = 4) =>
        (new BpttEngine(P.Spec, scheme, P.B, maxT), (float[])P.H0.Clone(), new float[P.Spec.Shape.Count]);

    [Theory]
    [InlineData("full")]
    [InlineData("k(2)")]
    public void Stored_history_rejects_an_hPrev_it_did_not_produce_until_reset(string schemeName)
    {
        var (e, h, g) = New(BpttReferenceTests.Parse(schemeName));
        e.ForwardBackward(P.W, P.SubSequence(0, 4), h, g);
        h[1] += 0.5f;
        Assert.Throws<InvalidOperationException>(() => e.ForwardBackward(P.W, P.SubSequence(4, 4), h, g));
        e.ResetHistory();
        e.ForwardBackward(P.W, P.SubSequence(4, 4), h, g);
    }

    [Fact]
    public void Full_history_beyond_the_float_limit_throws()
    {
        var (e, h, g) = New(new TruncationScheme.Full(), maxT: 2);
        e.MaxHistoryFloats = 150;   // per step 2·B·H + B = 18 floats: room for 7 steps (+ the h entering them)
        for (int i = 0; i < 3; i++) e.ForwardBackward(P.W, P.SubSequence(2 * i, 2), h, g);
        var ex = Assert.Throws<InvalidOperationException>(() => e.ForwardBackward(P.W, P.SubSequence(6, 2), h, g));
        Assert.Contains("MaxHistoryFloats", ex.Message);
    }

    [Fact]
    public void History_rejects_a_change_of_input_kind_until_reset()
    {
        RnnProblem dense = EngineMatchesReferenceTests.Problem(Activation.Tanh, LossKind.SoftmaxCrossEntropy, 2, 4, tokenInputs: false);
        var (e, h, g) = New(new TruncationScheme.KStep(3));
        e.ForwardBackward(P.W, P.SubSequence(0, 4), h, g);
        Assert.Throws<InvalidOperationException>(() => e.ForwardBackward(P.W, dense.Seq, h, g));
    }

    [Fact]
    public void Out_of_range_tokens_and_targets_are_rejected_with_their_value()
    {
        var (e, h, g) = New(new TruncationScheme.KStep(3));
        Chunk c = P.SubSequence(0, 4);
        c.InputTokens![5] = 5;   // V = 5
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => e.ForwardBackward(P.W, c, h, g));
        Assert.Equal(5, ex.ActualValue);
        c = P.SubSequence(0, 4);
        c.TargetTokens![2] = -1;
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => e.ForwardLoss(P.W, c, h));
        Assert.Equal(-1, ex.ActualValue);
    }

    [Fact]
    public void Wrong_shapes_are_rejected()
    {
        var (e, h, g) = New(new TruncationScheme.KStep(3));
        Chunk c = P.SubSequence(0, 4);
        Assert.Throws<ArgumentException>(() => e.ForwardBackward(P.W.AsSpan(1), c, h, g));
        Assert.Throws<ArgumentException>(() => e.ForwardBackward(P.W, c, h.AsSpan(1), g));
        Assert.Throws<ArgumentException>(() => e.ForwardBackward(P.W, c, h, g.AsSpan(1)));
        Assert.Throws<ArgumentException>(() => e.ForwardBackward(P.W, Chunk.ForTokens(3, 4), h, g));     // B = 3
        Assert.Throws<ArgumentException>(() => e.ForwardBackward(P.W, Chunk.ForTokens(2, 5), h, g));     // T = 5 > MaxT
        Chunk empty = Chunk.ForTokens(2, 4);
        empty.T = 0;
        Assert.Throws<ArgumentException>(() => e.ForwardBackward(P.W, empty, h, g));
        var mse = new BpttEngine(P.Spec with { Loss = LossKind.MeanSquaredError }, new TruncationScheme.Full(), 2, 4);
        Assert.Throws<ArgumentException>(() => mse.ForwardBackward(P.W, c, h, g));                     // no vector targets
        Assert.Throws<ArgumentException>(() => e.ForwardBackward(P.W, Chunk.ForVectors(2, 4, 4, 5), h, g)); // dense V = 4 ≠ 5
    }

    [Fact]
    public void Bad_construction_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BpttEngine(P.Spec, new TruncationScheme.Full(), 0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BpttEngine(P.Spec, new TruncationScheme.Full(), 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BpttEngine(P.Spec, new TruncationScheme.Full(), 2, 4).MaxHistoryFloats = 0);
    }

    [Theory]
    [InlineData("full")]
    [InlineData("k(3)")]
    [InlineData("subsequence(4)")]
    public void The_chunk_loop_does_not_allocate(string schemeName)
    {
        TruncationScheme scheme = BpttReferenceTests.Parse(schemeName);
        Chunk a = P.SubSequence(0, 4), c = P.SubSequence(4, 4);
        var (warm, hw, gw) = New(scheme);                       // JIT everything once
        warm.ForwardBackward(P.W, a, hw, gw);
        warm.ForwardBackward(P.W, c, hw, gw);
        warm.ForwardLoss(P.W, a, hw);

        var (e, h, g) = New(scheme);
        float[] hEval = (float[])P.H0.Clone();
        e.ForwardBackward(P.W, a, h, g);   // Full: the initial reservation holds 2·MaxT steps, so no growth below
        long before = GC.GetAllocatedBytesForCurrentThread();
        e.ForwardBackward(P.W, c, h, g);
        e.ForwardLoss(P.W, a, hEval);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{scheme}: a chunk allocated {allocated} bytes");
    }
}
