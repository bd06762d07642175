using ActorTrainer.Core.Optim;

namespace ActorTrainer.Core.Tests.Optim;

/// <summary><see cref="Optimizer.TryStep"/>: the same update as <see cref="Optimizer.Step"/>, or nothing at all.</summary>
public class CheckedStepTests
{
    public static TheoryData<string> Names => new(Optimizers.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void A_checked_step_gives_exactly_the_plain_step(string name)
    {
        var opt = Optimizers.Create(name, 0.1f);
        var rng = new Random(3);
        float[] w1 = Enumerable.Range(0, 37).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), w2 = (float[])w1.Clone();
        OptimizerState s1 = opt.CreateState(37), s2 = opt.CreateState(37);
        var spare = new float[37];
        var spareState = opt.CreateState(37);
        for (int step = 0; step < 5; step++)
        {
            float[] g = Enumerable.Range(0, 37).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
            opt.Step(w1, g, s1);
            Assert.Equal(UpdateOutcome.Applied, opt.TryStep(w2, g, s2, spare, spareState));
        }
        Assert.Equal(w1, w2);
        Assert.Equal(s1.StepCount, s2.StepCount);
        for (int b = 0; b < s1.Buffers.Count; b++) Assert.Equal(s1.Buffers[b].Data, s2.Buffers[b].Data);
    }

    // lr = 10 so that even SGD's and momentum's w − lr·g leaves float range for g = 3e38; Adam's and
    // Adagrad's squares overflow for any lr.
    [Theory]
    [MemberData(nameof(Names))]
    public void A_step_that_would_overflow_is_refused_and_changes_nothing(string name)
    {
        var opt = Optimizers.Create(name, 10f);
        float[] w = [1f, -1f, 0.5f];
        var s = opt.CreateState(3);
        opt.Step(w, [0.1f, 0.2f, -0.3f], s);
        float[] wBefore = (float[])w.Clone();
        var stateBefore = s.Clone();

        var outcome = opt.TryStep(w, [3e38f, -3e38f, 0f], s, new float[3], opt.CreateState(3));

        Assert.Equal(UpdateOutcome.WouldBeNonFinite, outcome);
        Assert.Equal(wBefore, w);
        Assert.Equal(stateBefore.StepCount, s.StepCount);
        for (int b = 0; b < s.Buffers.Count; b++) Assert.Equal(stateBefore.Buffers[b].Data, s.Buffers[b].Data);
    }

    [Fact]
    public void Adam_takes_a_gradient_of_1e20_whose_square_overflows_float_without_an_infinite_moment()
    {
        // g² = 1e40 > float.MaxValue, but (1−β2)·g² = 1e37 fits: the square must be scaled before it is formed.
        var opt = new Adam(0.001f);
        float[] w = [0f];
        var s = opt.CreateState(1);
        Assert.Equal(UpdateOutcome.Applied, opt.TryStep(w, [1e20f], s, new float[1], opt.CreateState(1)));
        Assert.True(float.IsFinite(s.Buffer(Adam.SecondMoment)[0]));
        // 1 − 0.999f is 0.00099998713 in float: 1.3e-5 relative off 1e-3, so 1e-4 relative is room enough.
        Assert.Equal(1e37f, s.Buffer(Adam.SecondMoment)[0], 1e33f);
    }

    [Fact]
    public void A_step_that_moves_no_weight_says_so()
    {
        var opt = new Sgd(0.5f);
        float[] w = [1f, 2f];
        Assert.Equal(UpdateOutcome.AppliedWithoutChange, opt.TryStep(w, [0f, 0f], opt.CreateState(2), new float[2], opt.CreateState(2)));
        Assert.Equal(UpdateOutcome.Applied, opt.TryStep(w, [0f, 1f], opt.CreateState(2), new float[2], opt.CreateState(2)));
    }
}
