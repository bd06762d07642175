using ActorTrainer.Core.Compression;

namespace ActorTrainer.Core.Tests.Compression;

/// <summary>bf16 rounding: nearest, ties to even, and the special values.</summary>
public sealed class Bf16Tests
{
    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);
    private static uint B(float x) => BitConverter.SingleToUInt32Bits(x);

    [Theory]
    [InlineData(0x3F80_0000u, 0x3F80u)] // 1: exact
    [InlineData(0x3F80_7FFFu, 0x3F80u)] // just below half an ulp: down
    [InlineData(0x3F80_8000u, 0x3F80u)] // a tie, kept part even (…80): stays
    [InlineData(0x3F81_8000u, 0x3F82u)] // a tie, kept part odd (…81): up to even
    [InlineData(0x3F80_8001u, 0x3F81u)] // just above half: up
    [InlineData(0xBF81_8000u, 0xBF82u)] // negative tie: the magnitude rounds to even
    [InlineData(0x3FFF_FFFFu, 0x4000u)] // carry into the exponent
    [InlineData(0x0000_0000u, 0x0000u)] // +0
    [InlineData(0x8000_0000u, 0x8000u)] // -0 keeps its sign
    [InlineData(0x0000_0001u, 0x0000u)] // smallest subnormal: to +0
    [InlineData(0x007F_FFFFu, 0x0080u)] // largest subnormal: up to the smallest normal
    [InlineData(0x7F7F_7FFFu, 0x7F7Fu)] // largest bf16 and a bit: stays finite
    [InlineData(0x7F7F_FFFFu, 0x7F80u)] // float.MaxValue: beyond half an ulp of the largest bf16, so +∞
    [InlineData(0xFF7F_FFFFu, 0xFF80u)] // float.MinValue: -∞
    [InlineData(0x7F80_0000u, 0x7F80u)] // +∞
    [InlineData(0xFF80_0000u, 0xFF80u)] // -∞
    public void Rounds_to_nearest_even(uint input, uint expected) =>
        Assert.Equal((ushort)expected, Bf16.ToBits(F(input)));

    [Theory]
    [InlineData(0x7FC0_0000u)] // the canonical quiet NaN
    [InlineData(0x7F80_0001u)] // a signalling NaN whose payload is only in the dropped half: must not become ∞
    [InlineData(0xFFFF_FFFFu)] // all ones: the largest pattern, must not wrap to 0
    public void A_NaN_stays_a_NaN_of_the_same_sign(uint input)
    {
        float r = Bf16.Round(F(input));
        Assert.True(float.IsNaN(r));
        Assert.Equal(input >> 31, B(r) >> 31);
    }

    [Fact]
    public void Matches_a_nearest_neighbour_reference_on_random_bit_patterns()
    {
        var rng = new Random(7);
        for (int i = 0; i < 100_000; i++)
        {
            float x = F((uint)rng.NextInt64(0, 1L << 32));
            if (float.IsNaN(x)) continue;
            float r = Bf16.Round(x);
            // reference: the two bf16 neighbours of x, the nearer one, the even one on a tie
            uint lo = B(x) & 0xFFFF_0000u, hi = lo + 0x1_0000u;
            double dLo = Math.Abs((double)x - F(lo)), dHi = Math.Abs((double)F(hi) - x);
            if (float.IsInfinity(F(hi)) && !float.IsInfinity(x)) dHi = Math.Abs(Math.Pow(2, 128) * Math.Sign(x) - x); // ∞ counts as 2¹²⁸
            uint expected = dLo < dHi ? lo : dHi < dLo ? hi : ((lo >> 16) & 1) == 0 ? lo : hi;
            Assert.Equal(expected, B(r));
        }
    }

    [Fact]
    public void Relative_error_of_normal_values_is_at_most_half_an_ulp_of_eight_bits()
    {
        var rng = new Random(3);
        for (int i = 0; i < 10_000; i++)
        {
            float x = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(-30, 30)));
            if (x == 0) continue;
            double rel = Math.Abs(((double)Bf16.Round(x) - x) / x);
            Assert.True(rel <= Math.Pow(2, -8), $"{x}: relative error {rel}"); // 7 stored bits + 1 implicit: half an ulp is 2⁻⁸
        }
    }

    [Fact]
    public void Rounding_twice_changes_nothing_so_the_wire_packing_is_lossless()
    {
        var rng = new Random(5);
        var v = Enumerable.Range(0, 1000).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        Bf16.RoundInPlace(v);
        foreach (float x in v)
        {
            Assert.Equal(0u, B(x) & 0xFFFF);
            Assert.Equal(B(x), B(Bf16.FromBits(Bf16.ToBits(x))));
        }
    }
}
