using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Tests.Rnn;

public class SamplerTests
{
    private static readonly ModelSpec CharLm = new(new ModelShape(6, 8, 6));

    /// <summary>Identity φ, Whh = 0, Wxh = 5·I, Why a cyclic shift: the most likely successor of x is (x+1) mod 4.</summary>
    private static (ModelSpec, float[]) Successor()
    {
        var spec = new ModelSpec(new ModelShape(4, 4, 4), Activation.Identity);
        var w = new float[spec.Shape.Count];
        Span<float> wxh = spec.Shape.Wxh(w.AsSpan()), why = spec.Shape.Why(w.AsSpan());
        for (int i = 0; i < 4; i++) { wxh[i * 4 + i] = 5; why[((i + 1) % 4) * 4 + i] = 1; }
        return (spec, w);
    }

    [Fact]
    public void Argmax_sampling_follows_the_most_likely_successor()
    {
        var (spec, w) = Successor();
        Assert.Equal([3, 0, 1, 2, 3, 0], Sampler.Sample(spec, w, [1, 2], 6, 0, new Random(1)));
    }

    [Fact]
    public void Argmax_sampling_is_deterministic_and_picks_the_argmax_of_the_model_outputs()
    {
        float[] w = Initializer.Create(CharLm.Shape, 4, new InitOptions(Scale: 3));
        int[] seed = [1, 4, 2];
        int[] s = Sampler.Sample(CharLm, w, seed, 12, 0, new Random(1));
        Assert.Equal(s, Sampler.Sample(CharLm, w, seed, 12, 0, new Random(2)));

        // outputs along seed + samples: each sample is the argmax after the token before it
        int[] fed = [.. seed, .. s[..^1]];
        Chunk seq = Chunk.ForTokens(1, fed.Length);
        fed.CopyTo(seq.InputTokens!, 0);
        double[] y = BpttReference.Forward(CharLm, w.Select(v => (double)v).ToArray(), seq, new double[8]).Y;
        for (int i = 0; i < s.Length; i++)
        {
            var row = y.AsSpan((seed.Length - 1 + i) * 6, 6).ToArray();
            Assert.Equal(Array.IndexOf(row, row.Max()), s[i]);
        }
    }

    [Fact]
    public void Sampling_with_the_same_seeded_random_repeats_and_with_another_differs()
    {
        float[] w = Initializer.Create(CharLm.Shape, 4);
        int[] a = Sampler.Sample(CharLm, w, [0], 60, 1.0, new Random(7));
        Assert.Equal(a, Sampler.Sample(CharLm, w, [0], 60, 1.0, new Random(7)));
        Assert.NotEqual(a, Sampler.Sample(CharLm, w, [0], 60, 1.0, new Random(8)));
    }

    [Fact]
    public void Samples_follow_softmax_of_outputs_over_temperature()
    {
        // Why = 0: y = By whatever the input, so samples are i.i.d. from softmax(By / τ)
        var spec = new ModelSpec(new ModelShape(3, 2, 3));
        var w = new float[spec.Shape.Count];
        float[] by = [0f, 1f, 2f];
        by.CopyTo(spec.Shape.By(w.AsSpan()));
        const double tau = 2;
        int[] s = Sampler.Sample(spec, w, [0], 20000, tau, new Random(3));
        double z = by.Sum(v => Math.Exp(v / tau));
        for (int o = 0; o < 3; o++)
            Assert.InRange(s.Count(x => x == o) / 20000.0, Math.Exp(by[o] / tau) / z - 0.015, Math.Exp(by[o] / tau) / z + 0.015);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        float[] w = Initializer.Create(CharLm.Shape, 1);
        var rng = new Random(1);
        Assert.Throws<ArgumentException>(() => Sampler.Sample(CharLm with { Loss = LossKind.MeanSquaredError }, w, [0], 1, 0, rng));
        var wide = new ModelSpec(new ModelShape(3, 2, 4));
        Assert.Throws<ArgumentException>(() => Sampler.Sample(wide, new float[wide.Shape.Count], [0], 1, 0, rng));
        Assert.Throws<ArgumentException>(() => Sampler.Sample(CharLm, w, [], 1, 0, rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampler.Sample(CharLm, w, [6], 1, 0, rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampler.Sample(CharLm, w, [0], -1, 0, rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampler.Sample(CharLm, w, [0], 1, -0.5, rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampler.Sample(CharLm, w, [0], 1, double.NaN, rng));
        Assert.Throws<ArgumentException>(() => Sampler.Sample(CharLm, w.AsSpan(1), [0], 1, 0, rng));
    }
}
