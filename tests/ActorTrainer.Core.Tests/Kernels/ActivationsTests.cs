using ActorTrainer.Core.Tests.TestUtil;
using ActorTrainer.Core.Kernels;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Tests.Kernels;

/// <summary>The fast φ and φ' against <see cref="ActivationsReference"/>, every length 0..300 (every remainder).</summary>
public class ActivationsTests
{
    private const double Rel = 2e-6;

    public static TheoryData<Activation> Phis() => new(Enum.GetValues<Activation>());

    [Theory, MemberData(nameof(Phis))]
    public void Forward_matches_reference_for_every_length(Activation phi)
    {
        for (int n = 0; n <= 300; n++)
        {
            float[] a = Scaled(Numeric.Random(n, seed: n), 4f);
            float[] expected = new float[n], actual = new float[n];
            ActivationsReference.Forward(phi, a, expected);
            Activations.Forward(phi, a, actual);
            Numeric.AssertWithinMagnitude(expected, actual, Magnitude(expected, 1f), Rel, $"{phi} forward n={n}");
        }
    }

    [Theory, MemberData(nameof(Phis))]
    public void Forward_in_place_matches_reference(Activation phi)
    {
        for (int n = 0; n <= 300; n += 7)
        {
            float[] a = Scaled(Numeric.Random(n, seed: 1000 + n), 4f);
            float[] expected = new float[n];
            ActivationsReference.Forward(phi, a, expected);
            Activations.Forward(phi, a, a);
            Numeric.AssertWithinMagnitude(expected, a, Magnitude(expected, 1f), Rel, $"{phi} forward in place n={n}");
        }
    }

    [Theory, MemberData(nameof(Phis))]
    public void Backward_matches_reference_for_every_length_also_in_place(Activation phi)
    {
        for (int n = 0; n <= 300; n++)
        {
            float[] h = new float[n];
            ActivationsReference.Forward(phi, Scaled(Numeric.Random(n, seed: n), 3f), h);
            float[] dh = Numeric.Random(n, seed: 5000 + n);
            float[] expected = new float[n], actual = new float[n];
            ActivationsReference.Backward(phi, h, dh, expected);
            Activations.Backward(phi, h, dh, actual);
            Numeric.AssertWithinMagnitude(expected, actual, Magnitude(dh, 0f), Rel, $"{phi} backward n={n}", abs: 1e-30);
            Activations.Backward(phi, h, dh, dh);                           // da aliasing dh
            Numeric.AssertWithinMagnitude(expected, dh, Magnitude(expected, 0f), Rel, $"{phi} backward in place n={n}", abs: 1e-30);
        }
    }

    [Theory, MemberData(nameof(Phis))]
    public void Special_values_match_reference_in_every_lane(Activation phi)
    {
        float[] specials = [0f, -0f, 1e30f, -1e30f, 20f, -20f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-30f];
        // every special at every position of a vector and of the remainder
        for (int pos = 0; pos < 37; pos++)
            foreach (float s in specials)
            {
                float[] a = Numeric.Random(37, seed: pos);
                a[pos] = s;
                float[] expected = new float[37], actual = new float[37];
                ActivationsReference.Forward(phi, a, expected);
                Activations.Forward(phi, a, actual);
                Numeric.AssertWithinMagnitude(expected, actual, Magnitude(expected, 1f), Rel, $"{phi}({s}) at {pos}");
            }
    }

    [Fact]
    public void Tanh_propagates_NaN_and_saturates_at_large_inputs()
    {
        // 64 lanes so every value lands in TensorPrimitives' vector body, not only its scalar tail
        float[] a = new float[64];
        for (int i = 0; i < a.Length; i += 4) { a[i] = float.NaN; a[i + 1] = 1e30f; a[i + 2] = -1e30f; a[i + 3] = 0f; }
        float[] h = new float[64];
        Activations.Forward(Activation.Tanh, a, h);
        for (int i = 0; i < a.Length; i += 4)
        {
            Assert.True(float.IsNaN(h[i]), $"tanh(NaN) at {i} gave {h[i]}");
            Assert.Equal(1f, h[i + 1]);
            Assert.Equal(-1f, h[i + 2]);
            // the AVX-512 kernel gives +0 exactly; TensorPrimitives.Tanh (elsewhere) maps 0 to −6e-8
            Assert.InRange(h[i + 3], -2e-7f, 2e-7f);
        }
    }

    [Fact]
    public void Tanh_is_within_its_error_bound_of_the_true_value_over_the_whole_range()
    {
        // tanh = −z/(z+2), z = e^(−2|x|) − 1 ∈ (−1, 0]. e^ within 2 ulp of a value ≤ 1 moves z by ≤ 2·2⁻²⁴;
        // |d tanh/dz| = 2/(z+2)² ≤ 2, so that is ≤ 4·2⁻²⁴ in tanh, and rounding z, z+2 and the quotient
        // (≤ 2⁻²⁴ of values ≤ 2, each scaled by ≤ 2) adds ≤ 6·2⁻²⁴: 10·2⁻²⁴ ≈ 6e-7 in all.
        const double bound = 10.0 / (1 << 24);
        const int n = 200_003;                                   // not a multiple of 16: the padded tail too
        float[] a = new float[n], h = new float[n];
        for (int i = 0; i < n; i++) a[i] = -12f + 24f * i / (n - 1);
        Activations.Forward(Activation.Tanh, a, h);
        double worst = 0;
        for (int i = 0; i < n; i++) worst = Math.Max(worst, Math.Abs(h[i] - Math.Tanh(a[i])));
        Assert.True(worst <= bound, $"largest error {worst:G3} is above {bound:G3}");
    }

    [Fact]
    public void Relu_gradient_is_zero_where_h_is_not_positive()
    {
        float[] h = [0f, 2f, 0f, 0.5f], dh = [3f, 3f, -1f, -1f], da = new float[4];
        Activations.Backward(Activation.Relu, h, dh, da);
        Assert.Equal([0f, 3f, 0f, -1f], da);
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Activations.Forward(Activation.Tanh, new float[3], new float[4]));
        Assert.Equal("h", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => Activations.Backward(Activation.Tanh, new float[3], new float[3], new float[2]));
        Assert.Equal("da", ex.ParamName);
    }

    private static float[] Scaled(float[] x, float s) => Array.ConvertAll(x, v => v * s);

    /// <summary>Tolerance scale per element: |x| plus a floor (1 for bounded outputs like tanh, 0 for exact ones).</summary>
    private static float[] Magnitude(float[] x, float floor) => Array.ConvertAll(x, v => float.IsFinite(v) ? Math.Abs(v) + floor : 0f);
}
