namespace ActorTrainer.Core.Compression;

/// <summary>
/// bfloat16: the upper 16 bits of an IEEE-754 binary32 (sign, the same 8 exponent bits, 7 mantissa
/// bits). Rounding is to nearest, ties to even (as PyTorch's bf16 cast and the DDP compression hook),
/// so the relative error of a normal value is at most 2⁻⁸. Special values: ±0, ±∞ and subnormals
/// follow the same rule (a subnormal may round to ±0 or up to the smallest normal); a finite value at
/// or beyond the largest bf16 (3.3961e38) plus half an ulp rounds to ±∞, as IEEE prescribes; a NaN stays
/// a NaN of the same sign (its quiet bit is set, so truncating the payload can never make it ∞).
/// </summary>
public static class Bf16
{
    /// <summary>The bf16 bits of <paramref name="x"/>, rounded to nearest even.</summary>
    public static ushort ToBits(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if ((bits & 0x7FFF_FFFFu) > 0x7F80_0000u) return (ushort)((bits >> 16) | 0x0040u); // NaN: keep sign, force quiet
        uint tieToEven = 0x7FFFu + ((bits >> 16) & 1u);  // half an ulp, plus one when the kept part is odd
        return (ushort)((bits + tieToEven) >> 16);       // no wrap: the largest non-NaN pattern is 0xFF80_0000
    }

    /// <summary>The binary32 value of bf16 bits (exact: every bf16 is a float).</summary>
    public static float FromBits(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary><paramref name="x"/> rounded to the nearest bf16, as a float.</summary>
    public static float Round(float x) => FromBits(ToBits(x));

    /// <summary>Rounds every value of <paramref name="values"/> to bf16 in place.</summary>
    public static void RoundInPlace(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = Round(values[i]);
    }
}
