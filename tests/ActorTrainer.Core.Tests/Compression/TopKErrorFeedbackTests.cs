using ActorTrainer.Core.Compression;

namespace ActorTrainer.Core.Tests.Compression;

/// <summary>Top-k with error feedback: which values go, and that nothing is lost.</summary>
public sealed class TopKErrorFeedbackTests
{
    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * (float)Math.Pow(10, rng.Next(-3, 3))).ToArray();
    }

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(10, 0.1)]
    [InlineData(1000, 0.01)]
    [InlineData(1000, 0.5)]
    [InlineData(12_345, 0.01)]
    public void Sends_exactly_the_k_largest_magnitudes(int n, double fraction)
    {
        var enc = new TopKErrorFeedback(n, fraction);
        var g = Random(n, seed: n);
        var input = (float[])g.Clone();
        enc.Encode(g, update: 0);
        Assert.Equal(Math.Max(1, (int)Math.Round(fraction * n, MidpointRounding.AwayFromZero)), enc.K);
        var sent = Enumerable.Range(0, n).Where(i => g[i] != 0).ToArray();
        Assert.Equal(enc.K, sent.Length);
        float smallestSent = sent.Min(i => Math.Abs(input[i]));
        for (int i = 0; i < n; i++)
        {
            if (g[i] != 0) Assert.Equal(input[i], g[i]);                    // a sent value is sent as it is
            else Assert.True(Math.Abs(input[i]) <= smallestSent, $"{input[i]} left out, {smallestSent} sent");
        }
    }

    [Fact]
    public void Ties_at_the_kth_magnitude_take_the_lowest_indices()
    {
        var enc = new TopKErrorFeedback(6, 0.5); // k = 3
        float[] g = [1, -2, 2, 2, 0.5f, -2];
        enc.Encode(g, update: 0);
        Assert.Equal([0, -2, 2, 2, 0, 0], g);
        Assert.Equal([1, 0, 0, 0, 0.5f, -2], enc.Residual.ToArray());
    }

    [Fact]
    public void Sent_plus_residual_is_input_plus_old_residual_exactly_at_every_step()
    {
        const int n = 5000;
        var enc = new TopKErrorFeedback(n, 0.01);
        var oldResidual = new float[n];
        for (int step = 0; step < 20; step++)
        {
            var g = Random(n, seed: 100 + step);
            var a = g.Select((x, i) => x + oldResidual[i]).ToArray(); // the float sum the rule promises to conserve
            enc.Encode(g, update: 0);
            var r = enc.Residual.ToArray();
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(a[i], g[i] + r[i]);           // exact: one of the two is zero
                Assert.True(g[i] == 0 || r[i] == 0);
            }
            oldResidual = r;
        }
    }

    [Fact]
    public void A_value_left_out_grows_in_the_residual_until_it_is_sent()
    {
        var enc = new TopKErrorFeedback(4, 0.25); // k = 1
        var sends = new List<float[]>();
        for (int step = 0; step < 4; step++)
        {
            float[] g = [1f, 0.4f, 0, 0];
            enc.Encode(g, update: 0);
            sends.Add(g);
        }
        // step 1: a = [1, .4]: 1 goes. step 2: [1, .8]: 1 goes. step 3: [1, 1.2]: 1.2 goes. step 4: [2, .4]: 2 goes.
        Assert.Equal([1f, 0, 0, 0], sends[0]);
        Assert.Equal([1f, 0, 0, 0], sends[1]);
        Assert.Equal(0.4f + 0.4f + 0.4f, sends[2][1]);
        Assert.Equal([2f, 0, 0, 0], sends[3]);
    }

    [Fact]
    public void A_warm_up_sends_a_quarter_at_first_falls_geometrically_and_ends_at_the_fraction()
    {
        const int n = 10_000, warmup = 40;
        var enc = new TopKErrorFeedback(n, 0.01, warmup);
        Assert.Equal(2500, enc.KAt(0));                     // 25% at update 0
        Assert.Equal(500, enc.KAt(warmup / 2));             // halfway: 0.25·(0.04)^½ = 5%
        Assert.Equal(100, enc.KAt(warmup));                 // then F
        Assert.Equal(100, enc.KAt(10 * warmup));
        for (int u = 1; u <= warmup; u++) Assert.True(enc.KAt(u) <= enc.KAt(u - 1), $"k rose at update {u}");
        // a push at update u sends KAt(u) values, and sent + residual still conserve every value
        var g = Random(n, seed: 3);
        var input = (float[])g.Clone();
        enc.Encode(g, update: warmup / 2);
        Assert.Equal(500, g.Count(x => x != 0));
        var r = enc.Residual.ToArray();
        for (int i = 0; i < n; i++) Assert.Equal(input[i], g[i] + r[i]);
        // at or above 25% there is nothing to warm up
        Assert.Equal(3000, new TopKErrorFeedback(n, 0.3, warmup).KAt(0));
        Assert.Equal(100, new TopKErrorFeedback(n, 0.01).KAt(0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(300)]
    public void Quickselect_matches_a_sort_on_every_rank(int n)
    {
        var v = Random(n, seed: 11).Select(MathF.Abs).ToArray();
        v[n / 2] = v[0]; // a duplicate
        var sorted = v.OrderByDescending(x => x).ToArray();
        for (int k = 1; k <= n; k++)
            Assert.Equal(sorted[k - 1], TopKErrorFeedback.KthLargest((float[])v.Clone(), k));
    }

    [Theory]
    [InlineData("fp32", "fp32")]
    [InlineData(" BF16 ", "bf16")]
    [InlineData("topk:0.01", "topk:0.01")]
    [InlineData("topk:1", "topk:1")]
    [InlineData("topk:0.01:60", "topk:0.01:60")]
    [InlineData("topk:0.01:0", "topk:0.01")]
    public void Encodings_parse_and_print_back(string text, string canonical) =>
        Assert.Equal(canonical, GradientEncoding.TryParse(text)!.ToString());

    [Theory]
    [InlineData("")]
    [InlineData("fp16")]
    [InlineData("topk")]
    [InlineData("topk:0")]
    [InlineData("topk:1.5")]
    [InlineData("topk:x")]
    [InlineData("topk:0.01:")]
    [InlineData("topk:0.01:-5")]
    [InlineData("topk:0.01:1.5")]
    [InlineData("topk:0.01:60:1")]
    public void Other_encodings_are_refused(string text) => Assert.Null(GradientEncoding.TryParse(text));
}
