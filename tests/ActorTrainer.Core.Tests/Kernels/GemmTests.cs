using ActorTrainer.Core.Tests.TestUtil;
using ActorTrainer.Core.Kernels;

namespace ActorTrainer.Core.Tests.Kernels;

/// <summary>The fast GEMM on every instruction-set path against <see cref="GemmReference"/>.</summary>
public class GemmTests
{
    private static readonly float[] Scalars = [0f, 1f, -0.5f, 2f];
    private const double Rel = 1e-5;

    /// <summary>Instruction sets that run on this CPU (the scalar path always does).</summary>
    public static TheoryData<string> Isas()
    {
        var data = new TheoryData<string>();
        foreach (GemmIsa isa in Enum.GetValues<GemmIsa>())
            if (GemmIsas.IsSupported(isa)) data.Add(isa.ToString());
        return data;
    }

    public static TheoryData<string, Transpose, Transpose> IsasAndTransposes()
    {
        var data = new TheoryData<string, Transpose, Transpose>();
        foreach (GemmIsa isa in Enum.GetValues<GemmIsa>())
            if (GemmIsas.IsSupported(isa))
                foreach (Transpose ta in Enum.GetValues<Transpose>())
                    foreach (Transpose tb in Enum.GetValues<Transpose>())
                        data.Add(isa.ToString(), ta, tb);
        return data;
    }

    [Theory, MemberData(nameof(IsasAndTransposes))]
    public void Every_small_shape_matches_reference(string isa, Transpose ta, Transpose tb)
    {
        // two depths per (m, n), cycling so every m and n meets each depth: 0, below/at/above a vector, several
        int[] ks = [0, 1, 2, 7, 8, 9, 16, 37];
        int i = 0;
        for (int m = 0; m <= 40; m++)
            for (int n = 0; n <= 40; n++, i++)
                foreach (int k in new[] { ks[i % ks.Length], ks[(i + 3) % ks.Length] })
                {
                    float alpha = Scalars[i % 4], beta = Scalars[i / 4 % 4];
                    Check(Parse(isa), ta, tb, m, n, k, alpha, beta, pad: i % 3, seed: i * 2 + k);
                }
    }

    [Theory, MemberData(nameof(IsasAndTransposes))]
    public void Shapes_straddling_block_sizes_match_reference(string isa, Transpose ta, Transpose tb)
    {
        int[] sizes = [1, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 127, 129, 193, 255, 257, 300];
        int i = 0;
        foreach (int s in sizes)
        {
            Check(Parse(isa), ta, tb, s, 37, 61, 1f, 0.5f, pad: 1, seed: i++);   // m across MR, MC, streamed-B limit
            Check(Parse(isa), ta, tb, 13, s, 29, -0.5f, 1f, pad: 2, seed: i++);  // n across NR
            Check(Parse(isa), ta, tb, 7, 19, s, 2f, 0f, pad: 0, seed: i++);      // k across KC
        }
        Check(Parse(isa), ta, tb, 70, 45, 513, 1f, -0.5f, pad: 3, seed: i++);     // three KC blocks, β once
        Check(Parse(isa), ta, tb, 3, 2100, 5, 1f, 1f, pad: 1, seed: i++);         // n across NC
        Check(Parse(isa), ta, tb, 300, 300, 300, 1f, 1f, pad: 0, seed: i);
    }

    [Theory, MemberData(nameof(IsasAndTransposes))]
    public void Every_alpha_beta_pair_matches_reference(string isa, Transpose ta, Transpose tb)
    {
        int i = 0;
        foreach (float alpha in Scalars)
            foreach (float beta in Scalars)
            {
                Check(Parse(isa), ta, tb, 1, 45, 33, alpha, beta, pad: 1, seed: i++);   // GEMV path
                Check(Parse(isa), ta, tb, 29, 70, 41, alpha, beta, pad: 2, seed: i++);
            }
    }

    [Theory, MemberData(nameof(IsasAndTransposes))]
    public void Rnn_step_and_chunk_shapes_match_reference(string isa, Transpose ta, Transpose tb)
    {
        Check(Parse(isa), ta, tb, 1, 128, 128, 1f, 1f, pad: 0, seed: 1);    // B = 1 recurrent step
        Check(Parse(isa), ta, tb, 32, 256, 256, 1f, 1f, pad: 0, seed: 2);   // B = 32 recurrent step
        Check(Parse(isa), ta, tb, 65, 64, 400, 1f, 1f, pad: 0, seed: 3);    // dWhy += dYᵀ·Hs (O = 65)
        Check(Parse(isa), ta, tb, 400, 65, 64, 1f, 0f, pad: 0, seed: 4);    // Y = Hs·Whyᵀ
    }

    [Theory, MemberData(nameof(Isas))]
    public void Gemv_matches_reference_at_every_alignment_of_B(string isa)
    {
        // the m = 1 path peels to 64-byte boundaries: start B at every float offset within a cache line
        foreach (Transpose tb in Enum.GetValues<Transpose>())
            foreach ((int n, int k) in new[] { (9, 16), (20, 17), (33, 40), (70, 31), (16, 130) })
                for (int offset = 0; offset < 16; offset++)
                {
                    int ldb = tb == Transpose.No ? n : k, bRows = tb == Transpose.No ? k : n;
                    float[] a = Numeric.Random(k, offset), storage = Numeric.Random(offset + bRows * ldb, 100 + offset);
                    float[] b = storage[offset..];
                    float[] expected = Numeric.Random(n, 200 + offset), actual = (float[])expected.Clone();
                    float[] magnitude = Abs(expected);
                    GemmReference.Sgemm(Transpose.No, tb, 1, n, k, 1f, a, k, b, ldb, 0.5f, expected, n);
                    GemmReference.Sgemm(Transpose.No, tb, 1, n, k, 1f, Abs(a), k, Abs(b), ldb, 0.5f, magnitude, n);
                    Gemm.Sgemm(Parse(isa), Transpose.No, tb, 1, n, k, 1f, a, k, storage.AsSpan(offset), ldb, 0.5f, actual, n);
                    Numeric.AssertWithinMagnitude(expected, actual, magnitude, Rel, $"{isa} No{tb} 1×{n}×{k} B at +{offset}", abs: 1e-30);
                }
    }

    [Theory, MemberData(nameof(Isas))]
    public void Beta_zero_overwrites_NaN_in_C(string isa)
    {
        foreach (Transpose ta in Enum.GetValues<Transpose>())
            foreach (Transpose tb in Enum.GetValues<Transpose>())
                foreach ((int m, int n, int k) in new[] { (1, 40, 9), (13, 35, 20), (40, 70, 0) })
                {
                    float[] a = Numeric.Random(m * k, 1), b = Numeric.Random(k * n, 2);
                    float[] c = new float[m * n];
                    Array.Fill(c, float.NaN);
                    Gemm.Sgemm(Parse(isa), ta, tb, m, n, k, 1f, a, ta == Transpose.No ? k : m, b, tb == Transpose.No ? n : k, 0f, c, n);
                    Assert.All(c, x => Assert.False(float.IsNaN(x), $"{isa} {ta}{tb} {m}×{n}×{k}: NaN leaked from C"));
                }
    }

    [Fact]
    public void Short_leading_dimension_is_rejected_with_its_value()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Sgemm(Transpose.No, Transpose.No, 2, 3, 4, 1f, new float[8], 3, new float[12], 3, 0f, new float[6], 3));
        Assert.Equal("lda", ex.ParamName);
        Assert.Equal(3, ex.ActualValue);
    }

    [Fact]
    public void Too_short_span_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(Transpose.No, Transpose.Yes, 2, 3, 4, 1f, new float[8], 4, new float[11], 4, 0f, new float[6], 3));
        Assert.Equal("b", ex.ParamName);
    }

    private static GemmIsa Parse(string isa) => Enum.Parse<GemmIsa>(isa);

    /// <summary>
    /// One case: operands stored with leading dimensions row length + pad; C's padding holds a sentinel
    /// that must survive; C prefilled with NaN when β = 0.
    /// </summary>
    private static void Check(GemmIsa isa, Transpose ta, Transpose tb, int m, int n, int k, float alpha, float beta, int pad, int seed)
    {
        (int aRows, int aCols) = ta == Transpose.No ? (m, k) : (k, m);
        (int bRows, int bCols) = tb == Transpose.No ? (k, n) : (n, k);
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        float[] a = Numeric.Random(aRows * lda, seed * 3 + 1);
        float[] b = Numeric.Random(bRows * ldb, seed * 3 + 2);
        float[] c = Numeric.Random(m * ldc, seed * 3 + 3);
        const float sentinel = 12345f;
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++) c[i * ldc + j] = sentinel;
        if (beta == 0f)
            for (int i = 0; i < m; i++) Array.Fill(c, float.NaN, i * ldc, n);

        float[] expected = (float[])c.Clone();
        GemmReference.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
        float[] magnitude = Abs(c);
        if (beta == 0f) Array.Clear(magnitude);
        GemmReference.Sgemm(ta, tb, m, n, k, Math.Abs(alpha), Abs(a), lda, Abs(b), ldb, Math.Abs(beta), magnitude, ldc);

        float[] actual = (float[])c.Clone();
        Gemm.Sgemm(isa, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, actual, ldc);

        string context = $"{isa} {ta}{tb} m={m} n={n} k={k} α={alpha} β={beta} pad={pad}";
        Numeric.AssertWithinMagnitude(expected, actual, magnitude, Rel, context, abs: 1e-30);
    }

    private static float[] Abs(float[] x) => Array.ConvertAll(x, MathF.Abs);
}
