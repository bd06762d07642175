using System.Runtime.Intrinsics;
using ActorTrainer.Core.Kernels;

namespace ActorTrainer.Core.Tests.Kernels;

/// <summary>The AVX-512 e^x against double-precision Math.Exp.</summary>
public class FastMathTests
{
    [Fact]
    public void Exp_is_within_a_few_ulp_wherever_the_result_is_a_normal_float()
    {
        if (!FastMath.IsSupported) return; // the softmax falls back to TensorPrimitives there
        var x = new float[16];
        var y = new float[16];
        for (int i = 0; i < 200_000; i += 16)
        {
            for (int l = 0; l < 16; l++) x[l] = -87.3f + (88.7f + 87.3f) * (i + l) / 200_000f;
            FastMath.Exp(Vector512.Create((ReadOnlySpan<float>)x)).CopyTo(y);
            for (int l = 0; l < 16; l++)
            {
                double exact = Math.Exp(x[l]);
                Assert.True(Math.Abs(y[l] - exact) <= 3e-7 * exact, $"e^{x[l]}: got {y[l]}, exact {exact}");
            }
        }
    }

    [Fact]
    public void Exp_overflows_to_infinity_flushes_below_normal_range_to_zero_and_propagates_NaN()
    {
        if (!FastMath.IsSupported) return;
        float[] x = [0f, 89f, 1e30f, float.PositiveInfinity, -87.5f, -104f, -1e30f, float.NegativeInfinity,
                     float.NaN, 1f, -1f, 10f, -10f, 88f, -87f, 0.5f];
        var y = new float[16];
        FastMath.Exp(Vector512.Create((ReadOnlySpan<float>)x)).CopyTo(y);
        Assert.Equal(1f, y[0]);
        Assert.All(y[1..4], v => Assert.Equal(float.PositiveInfinity, v));
        Assert.All(y[4..8], v => Assert.Equal(0f, v));
        Assert.True(float.IsNaN(y[8]));
        for (int l = 9; l < 16; l++)
            Assert.True(Math.Abs(y[l] - Math.Exp(x[l])) <= 3e-7 * Math.Exp(x[l]), $"e^{x[l]}: got {y[l]}");
    }
}
