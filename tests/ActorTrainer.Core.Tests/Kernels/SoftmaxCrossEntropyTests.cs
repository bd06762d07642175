using ActorTrainer.Core.Tests.TestUtil;
using ActorTrainer.Core.Kernels;

namespace ActorTrainer.Core.Tests.Kernels;

/// <summary>
/// The fast softmax cross-entropy against <see cref="SoftmaxCrossEntropyReference"/>, through its public API: the
/// row path is this host's (fused on AVX-512). The portable rows run on any host without it, or here with
/// DOTNET_EnableAVX512F=0 (see docs/decisions.md).
/// </summary>
public class SoftmaxCrossEntropyTests
{
    private const double Rel = 2e-6;

    [Fact]
    public void Loss_and_gradient_match_reference_for_every_row_length()
    {
        for (int o = 1; o <= 300; o++)
        {
            const int m = 3;
            float[] logits = Array.ConvertAll(Numeric.Random(m * o, seed: o), v => v * 6f);
            int[] targets = Targets(m, o, seed: o);
            float scale = 1f / (m * 7);
            float[] expected = new float[m * o], actual = new float[m * o];
            double lossRef = SoftmaxCrossEntropyReference.ForwardBackward(logits, m, o, targets, scale, expected);
            double loss = SoftmaxCrossEntropy.ForwardBackward(logits, m, o, targets, scale, actual);
            AssertLossClose(lossRef, loss, m, $"o={o}");
            AssertLossClose(lossRef, SoftmaxCrossEntropy.Loss(logits, m, o, targets), m, $"Loss o={o}");
            // each entry of dlogits is bounded by |scale|
            Numeric.AssertWithinMagnitude(expected, actual, Filled(m * o, scale), Rel, $"dlogits o={o}");
        }
    }

    [Fact]
    public void Gradient_may_overwrite_the_logits()
    {
        const int m = 4, o = 65;
        float[] logits = Numeric.Random(m * o, seed: 7);
        int[] targets = Targets(m, o, seed: 7);
        float[] expected = new float[m * o];
        double lossRef = SoftmaxCrossEntropyReference.ForwardBackward(logits, m, o, targets, 0.5f, expected);
        double loss = SoftmaxCrossEntropy.ForwardBackward(logits, m, o, targets, 0.5f, logits);
        AssertLossClose(lossRef, loss, m, "in place");
        Numeric.AssertWithinMagnitude(expected, logits, Filled(m * o, 0.5f), Rel, "in place");
    }

    [Fact]
    public void Large_logits_do_not_overflow()
    {
        // without max-subtraction e^100 and e^1e4 overflow float
        float[] logits = [1e4f, 1e4f - 1f, -1e4f, 100f, 99f, 0f];
        int[] targets = [1, 0];
        float[] d = new float[6];
        double loss = SoftmaxCrossEntropy.ForwardBackward(logits, 2, 3, targets, 1f, d);
        double lossRef = SoftmaxCrossEntropyReference.Loss(logits, 2, 3, targets);
        Assert.True(double.IsFinite(loss));
        AssertLossClose(lossRef, loss, 2, "large");
        Assert.All(d, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Equal_logits_cost_log_o_per_row()
    {
        float[] logits = new float[2 * 65];
        Array.Fill(logits, 3.25f);
        double loss = SoftmaxCrossEntropy.Loss(logits, 2, 65, [0, 64]);
        Assert.Equal(2 * Math.Log(65), loss, 5);
    }

    [Fact]
    public void NaN_logit_makes_the_loss_NaN()
    {
        foreach (int o in new[] { 3, 40 })                                  // padded tail, and vector body + window
            for (int at = 0; at < o; at += 7)
            {
                float[] logits = Numeric.Random(o, seed: at);
                logits[at] = float.NaN;
                Assert.True(double.IsNaN(SoftmaxCrossEntropy.Loss(logits, 1, o, [0])), $"o={o} NaN at {at}");
                Assert.True(double.IsNaN(SoftmaxCrossEntropy.ForwardBackward(logits, 1, o, [0], 1f, new float[o])), $"o={o} NaN at {at}");
            }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(5)]
    public void Target_outside_classes_is_rejected_with_its_value(int target)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            SoftmaxCrossEntropy.ForwardBackward(new float[10], 2, 5, [0, target], 1f, new float[10]));
        Assert.Equal(target, ex.ActualValue);
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Loss(new float[10], 2, 5, [target, 0]));
    }

    [Fact]
    public void Short_gradient_buffer_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            SoftmaxCrossEntropy.ForwardBackward(new float[10], 2, 5, [0, 1], 1f, new float[9]));
        Assert.Equal("dlogits", ex.ParamName);
    }

    /// <summary>Row losses are O(1)–O(10); float exp/sum against double leaves ~1e-6 per row.</summary>
    private static void AssertLossClose(double expected, double actual, int rows, string context)
    {
        double tol = 1e-5 * (Math.Abs(expected) + rows);
        Assert.True(Math.Abs(expected - actual) <= tol, $"{context}: loss {actual}, expected {expected} (tolerance {tol:g3})");
    }

    private static int[] Targets(int m, int o, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, m).Select(_ => rng.Next(o)).ToArray();
    }

    private static float[] Filled(int n, float v) { var x = new float[n]; Array.Fill(x, Math.Abs(v)); return x; }
}
