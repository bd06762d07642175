using System.Numerics.Tensors;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.ParameterServer;

/// <summary>The server defends W: it checks the run's clipping instead of trusting the workers, and never
/// takes an update that would leave W or the optimizer state non-finite.</summary>
public sealed class ParameterServerDefenceTests
{
    private const int P = 4;
    private static readonly ModelFingerprint Fp = new(P, "V=2,H=1,O=1,phi=Tanh,loss=MeanSquaredError");
    private static readonly float[] W0 = [1f, 2f, 3f, 4f];

    private static (ParameterServerState Server, OptimizerUpdateRule Rule) Adam(
        ConsistencyMode mode = ConsistencyMode.Async, float? clipNorm = null, float? clipValue = null, int workers = 1, int maxStalled = 100)
    {
        var rule = new OptimizerUpdateRule(new Adam(0.01f));
        var settings = new ServerSettings(mode, Fp, maxUpdates: 1000, startQuorum: workers)
            { ClipNorm = clipNorm, ClipValue = clipValue, MaxStalledUpdates = maxStalled };
        var s = new ParameterServerState(settings, W0, rule);
        for (int id = 0; id < workers; id++) s.Handle(new RegisterWorker(id, Fp));
        return (s, rule);
    }

    private static PushGradient Push(int worker, long baseVersion, long chunk, params float[] g) =>
        new(worker, baseVersion, chunk, g, Loss: 1f, GradNorm: GradientClipper.L2Norm(g), Clipped: false, Tokens: 8);

    private static GradientRejected Rejected(IReadOnlyList<Outgoing> outbox) =>
        Assert.Single(outbox.Where(o => o.To == Recipient.Observer && o.Message is GradientRejected).Select(o => (GradientRejected)o.Message));

    private static void AssertFinite(ParameterServerState s, OptimizerUpdateRule rule)
    {
        Assert.True(TensorPrimitives.IsFiniteAll(s.Weights));
        Assert.True(rule.State is null || rule.State.IsFinite());
    }

    [Fact]
    public void A_gradient_of_norm_1e30_above_the_clip_norm_is_refused_and_counted()
    {
        var (s, rule) = Adam(clipNorm: 5f);
        s.Handle(Push(0, 0, 0, 0.1f, 0.2f, 0.3f, 0.4f)); // a normal update first, so the state exists
        float[] before = s.Weights.ToArray();

        var outbox = s.Handle(Push(0, 1, 1, 1e30f, 0f, 0f, 0f));

        Assert.Equal(RejectionReason.AboveClipNorm, Rejected(outbox).Reason);
        Assert.Equal(before, s.Weights.ToArray());
        AssertFinite(s, rule);
        Assert.Equal(1, s.Stats().Rejections(RejectionReason.AboveClipNorm));
        Assert.Equal(1, s.Version);
    }

    [Fact]
    public void A_gradient_the_worker_clipped_to_the_clip_norm_is_applied()
    {
        var (s, _) = Adam(clipNorm: 5f);
        float[] g = [3e3f, -4e3f, 1e3f, 7e2f];
        GradientClipper.ClipByNorm(g, 5f); // exactly what a worker does: rounding may leave ‖g‖ a hair above 5
        s.Handle(Push(0, 0, 0, g));
        Assert.Equal(1, s.Version);
        Assert.Equal(0, s.Stats().TotalRejections);
    }

    [Fact]
    public void A_gradient_with_an_element_outside_the_clip_value_is_refused()
    {
        var (s, _) = Adam(clipValue: 1f);
        Assert.Equal(RejectionReason.AboveClipValue, Rejected(s.Handle(Push(0, 0, 0, 0.5f, -1.5f, 0f, 0f))).Reason);
        s.Handle(Push(0, 0, 1, 0.5f, -1f, 0f, 0f)); // clamped exactly at the bound: applied
        Assert.Equal(1, s.Version);
    }

    [Fact]
    public void Without_clipping_an_update_that_would_overflow_the_state_is_refused_and_W_and_the_state_stay_as_they_were()
    {
        var (s, rule) = Adam();
        s.Handle(Push(0, 0, 0, 0.1f, 0.2f, 0.3f, 0.4f));
        float[] before = s.Weights.ToArray();
        var stateBefore = rule.State!.Clone();

        var outbox = s.Handle(Push(0, 1, 1, 1e30f, -1e30f, 1e30f, 0f)); // (1−β2)·g² = 1e57: past float's range

        Assert.Equal(RejectionReason.NonFiniteUpdate, Rejected(outbox).Reason);
        Assert.Equal(before, s.Weights.ToArray());
        Assert.Equal(stateBefore.Buffer(Core.Optim.Adam.SecondMoment), rule.State!.Buffer(Core.Optim.Adam.SecondMoment));
        Assert.Equal(stateBefore.StepCount, rule.State.StepCount);
        AssertFinite(s, rule);
        Assert.Equal(1, s.Version);
        // the run goes on: the next sane gradient is applied
        s.Handle(Push(0, 1, 2, 0.1f, 0.2f, 0.3f, 0.4f));
        Assert.Equal(2, s.Version);
    }

    [Fact]
    public void Sync_a_refused_round_rejects_every_contribution_so_the_workers_compute_again()
    {
        var (s, _) = Adam(ConsistencyMode.Sync, workers: 2);
        s.Handle(Push(0, 0, 0, 1e30f, 0f, 0f, 0f));
        var outbox = s.Handle(Push(1, 0, 0, 1e30f, 0f, 0f, 0f)); // mean 1e30: its square overflows
        Assert.Equal(2, outbox.Count(o => o.Message is GradientRejected { Reason: RejectionReason.NonFiniteUpdate } && o.To != Recipient.Observer));
        Assert.Equal(0, s.Version);
        // the round is empty again: the next chunks of both workers make the next update
        s.Handle(Push(0, 0, 1, 0.5f, 0f, 0f, 0f));
        Assert.Equal(0, s.Version);
        s.Handle(Push(1, 0, 1, 0.5f, 0f, 0f, 0f));
        Assert.Equal(1, s.Version);
    }

    [Fact]
    public void A_run_whose_every_update_is_refused_as_non_finite_ends_as_diverged()
    {
        var (s, _) = Adam(maxStalled: 3);
        s.Handle(Push(0, 0, 0, 1e30f, 0f, 0f, 0f));
        s.Handle(Push(0, 0, 1, 1e30f, 0f, 0f, 0f));
        Assert.False(s.IsFinished);
        var outbox = s.Handle(Push(0, 0, 2, 1e30f, 0f, 0f, 0f));
        var done = Assert.Single(outbox.Where(o => o.Message is TrainingCompleted).Select(o => (TrainingCompleted)o.Message));
        Assert.Equal(CompletionReason.Diverged, done.Reason);
        Assert.Contains("has not changed in 3 updates", done.Detail);
    }

    [Fact]
    public void An_applied_update_resets_the_stall_count()
    {
        var (s, _) = Adam(maxStalled: 2);
        s.Handle(Push(0, 0, 0, 1e30f, 0f, 0f, 0f));
        s.Handle(Push(0, 0, 1, 0.1f, 0f, 0f, 0f));
        s.Handle(Push(0, 1, 2, 1e30f, 0f, 0f, 0f));
        Assert.False(s.IsFinished);
    }

    [Fact]
    public void Gradients_too_small_to_move_W_are_not_a_stall()
    {
        var settings = new ServerSettings(ConsistencyMode.Async, Fp, maxUpdates: 1000) { MaxStalledUpdates = 2 };
        var s = new ParameterServerState(settings, W0, new OptimizerUpdateRule(new Sgd(0.1f)));
        s.Handle(new RegisterWorker(0, Fp));
        for (int i = 0; i < 5; i++) s.Handle(Push(0, i, i, 1e-30f, 0f, 0f, 0f));
        Assert.False(s.IsFinished);
        Assert.Equal(5, s.Version);
    }

    [Fact]
    public void A_restored_optimizer_state_holding_infinity_is_refused()
    {
        var state = new Adam(0.01f).CreateState(P);
        state.Buffer(Core.Optim.Adam.SecondMoment)[2] = float.PositiveInfinity;
        Assert.Throws<ArgumentException>(() => new OptimizerUpdateRule(new Adam(0.01f), state));
    }
}
