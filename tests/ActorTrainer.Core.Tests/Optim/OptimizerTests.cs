using ActorTrainer.Core.Optim;

namespace ActorTrainer.Core.Tests.Optim;

public class OptimizerTests
{
    private const float Tol = 1e-6f;

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tol * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Sgd_steps_match_hand_computation()
    {
        var opt = new Sgd(0.5f);
        var w = new[] { 1f, -2f };
        var s = opt.CreateState(2);
        opt.Step(w, [0.5f, 1f], s);   // w − 0.5·g = [1 − 0.25, −2 − 0.5]
        AssertClose([0.75f, -2.5f], w);
        opt.Step(w, [-1f, 0.25f], s); // [0.75 + 0.5, −2.5 − 0.125]
        AssertClose([1.25f, -2.625f], w);
        Assert.Equal(2, s.StepCount);
        Assert.Empty(s.Buffers);
    }

    [Fact]
    public void Momentum_steps_match_hand_computation()
    {
        var opt = new Momentum(0.1f, 0.5f);
        var w = new[] { 1f, 0f };
        var s = opt.CreateState(2);
        opt.Step(w, [2f, 1f], s);  // v = [2, 1];            w = [1 − 0.2, 0 − 0.1]
        AssertClose([0.8f, -0.1f], w);
        opt.Step(w, [-1f, 1f], s); // v = [1 − 1, 0.5 + 1] = [0, 1.5]; w = [0.8, −0.1 − 0.15]
        AssertClose([0.8f, -0.25f], w);
        opt.Step(w, [4f, 1f], s);  // v = [4, 0.75 + 1 = 1.75];        w = [0.8 − 0.4, −0.25 − 0.175]
        AssertClose([0.4f, -0.425f], w);
        AssertClose([4f, 1.75f], s.Buffer(Momentum.Velocity));
    }

    [Fact]
    public void Adagrad_steps_match_hand_computation()
    {
        var opt = new Adagrad(1f, eps: 1f);
        var w = new[] { 0f, 1f };
        var s = opt.CreateState(2);
        opt.Step(w, [3f, -1f], s); // G = [9, 1];  w = [0 − 3/(3+1), 1 + 1/(1+1)]
        AssertClose([-0.75f, 1.5f], w);
        opt.Step(w, [4f, 0f], s);  // G = [25, 1]; w = [−0.75 − 4/(5+1), 1.5 − 0]
        AssertClose([-1.4166667f, 1.5f], w);
        AssertClose([25f, 1f], s.Buffer(Adagrad.SumSquares));
    }

    [Fact]
    public void Adam_steps_match_hand_computation_with_bias_correction()
    {
        var opt = new Adam(0.1f, beta1: 0.5f, beta2: 0.75f, eps: 0.5f);
        var w = new[] { 1f };
        var s = opt.CreateState(1);
        // t=1, g=2:  m = 1, v = 1; m̂ = 1/0.5 = 2, v̂ = 1/0.25 = 4; w = 1 − 0.1·2/(2 + 0.5) = 0.92
        opt.Step(w, [2f], s);
        AssertClose([0.92f], w);
        // t=2, g=−2: m = 0.5 − 1 = −0.5, v = 0.75 + 1 = 1.75; m̂ = −0.5/0.75 = −2/3, v̂ = 1.75/0.4375 = 4
        //            w = 0.92 + 0.1·(2/3)/2.5 = 0.9466667
        opt.Step(w, [-2f], s);
        AssertClose([0.9466667f], w);
        // t=3, g=0:  m = −0.25, v = 1.3125; m̂ = −0.25/0.875 = −0.2857143, v̂ = 1.3125/0.578125 = 2.2702703
        //            w = 0.9466667 + 0.1·0.2857143/(1.5067416 + 0.5) = 0.9609044
        opt.Step(w, [0f], s);
        AssertClose([0.9609044f], w);
        Assert.Equal(3, s.StepCount);
        AssertClose([-0.25f], s.Buffer(Adam.FirstMoment));
        AssertClose([1.3125f], s.Buffer(Adam.SecondMoment));
    }

    public static TheoryData<string> AllNames => new(Optimizers.Names);

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Slice_states_update_exactly_like_the_whole_state(string name)
    {
        const int n = 37, cut = 13;
        var opt = Optimizers.Create(name, 0.05f);
        var rng = new Random(7);
        var wWhole = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var wShard = (float[])wWhole.Clone();
        var whole = opt.CreateState(n);
        var left = whole.Slice(0, cut);
        var right = whole.Slice(cut, n - cut);
        for (int step = 0; step < 4; step++)
        {
            var g = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
            opt.Step(wWhole, g, whole);
            opt.Step(wShard.AsSpan(0, cut), g.AsSpan(0, cut), left);
            opt.Step(wShard.AsSpan(cut), g.AsSpan(cut), right);
        }
        Assert.Equal(wWhole, wShard);
        var joined = OptimizerState.Concat([left, right]);
        Assert.Equal(whole.StepCount, joined.StepCount);
        for (int b = 0; b < whole.Buffers.Count; b++)
        {
            Assert.Equal(whole.Buffers[b].Name, joined.Buffers[b].Name);
            Assert.Equal(whole.Buffers[b].Data, joined.Buffers[b].Data);
        }
    }

    [Fact]
    public void Slice_is_a_copy_of_the_buffers_and_step_count()
    {
        var s = new Adam(0.1f).CreateState(5);
        s.Buffer("m")[3] = 7f;
        s.StepCount = 4;
        var slice = s.Slice(2, 3);
        Assert.Equal(3, slice.Length);
        Assert.Equal(4, slice.StepCount);
        Assert.Equal(7f, slice.Buffer("m")[1]);
        slice.Buffer("m")[1] = 0f;
        Assert.Equal(7f, s.Buffer("m")[3]);
    }

    [Theory]
    [InlineData(-1, 2)]
    [InlineData(4, 2)]
    [InlineData(0, 6)]
    public void Slice_outside_the_state_is_rejected(int offset, int count)
    {
        var s = new Momentum(0.1f).CreateState(5);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Slice(offset, count));
    }

    [Fact]
    public void Step_rejects_mismatched_lengths_and_foreign_state()
    {
        var adam = new Adam(0.1f);
        var ex = Assert.Throws<ArgumentException>(() => adam.Step(new float[3], new float[2], adam.CreateState(3)));
        Assert.Contains("3", ex.Message);
        Assert.Throws<ArgumentException>(() => adam.Step(new float[3], new float[3], adam.CreateState(4)));
        var foreign = Assert.Throws<KeyNotFoundException>(() => adam.Step(new float[3], new float[3], new Momentum(0.1f).CreateState(3)));
        Assert.Contains("'m'", foreign.Message);
    }

    [Theory]
    [InlineData("sgd", typeof(Sgd))]
    [InlineData("Momentum", typeof(Momentum))]
    [InlineData(" adagrad ", typeof(Adagrad))]
    [InlineData("ADAM", typeof(Adam))]
    public void Factory_creates_by_name_case_insensitively(string name, Type expected)
    {
        var opt = Optimizers.Create(name, 0.01f);
        Assert.IsType(expected, opt);
        Assert.Equal(0.01f, opt.LearningRate);
        Assert.Equal(name.Trim().ToLowerInvariant(), opt.Name);
    }

    [Fact]
    public void Factory_rejects_unknown_name_listing_the_known_ones()
    {
        var ex = Assert.Throws<ArgumentException>(() => Optimizers.Create("rmsprop", 0.1f));
        Assert.Contains("rmsprop", ex.Message);
        Assert.Contains("adam", ex.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(-0.1f)]
    public void Factory_rejects_bad_learning_rates(float lr)
    {
        var ex = Assert.Throws<ArgumentException>(() => Optimizers.Create("sgd", lr));
        Assert.Contains("learning rate", ex.Message);
    }

    [Fact]
    public void Hyper_parameters_outside_their_range_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Momentum(0.1f, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(0.1f, beta1: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(0.1f, beta2: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adagrad(0.1f, eps: 0f));
    }

    [Fact]
    public void Concat_rejects_parts_at_different_steps()
    {
        var a = new Adam(0.1f).CreateState(2);
        var b = new Adam(0.1f).CreateState(2);
        b.StepCount = 1;
        Assert.Throws<ArgumentException>(() => OptimizerState.Concat([a, b]));
    }

    [Fact]
    public void Restored_state_validates_buffer_lengths()
    {
        var ex = Assert.Throws<ArgumentException>(() => new OptimizerState(3, [("m", new float[2])]));
        Assert.Contains("'m'", ex.Message);
    }
}
