using ActorTrainer.Actors.Simulation;

namespace ActorTrainer.Actors.Tests.Simulation;

/// <summary>How one simulated core divides its time; every figure is a binary fraction, so exact.</summary>
public sealed class SimulatedCoreTests
{
    private static readonly NodeId W0 = NodeId.Worker(0), W1 = NodeId.Worker(1), S0 = NodeId.Shard(0);

    [Fact]
    public void A_lone_handler_finishes_after_its_work()
    {
        var core = new SimulatedCore();
        core.Start(W0, 1.5, preempts: false, now: 2);
        Assert.Equal(3.5, core.NextFinish);
        Assert.Equal(new[] { W0 }, core.Finish(3.5));
        Assert.Equal(double.PositiveInfinity, core.NextFinish);
    }

    [Fact]
    public void Two_workers_share_the_core_equally()
    {
        // 1 s each from 0: both at half speed, both done at 2
        var core = new SimulatedCore();
        core.Start(W0, 1, false, 0);
        core.Start(W1, 1, false, 0);
        Assert.Equal(2, core.NextFinish);
        Assert.Equal(new[] { W0, W1 }, core.Finish(2));
    }

    [Fact]
    public void A_worker_joining_later_slows_the_first_only_while_both_run()
    {
        // W0: 1 s from 0; W1: 1 s from 0.5. At 0.5 W0 has 0.5 left, at half speed done at 1.5;
        // W1 has done 0.5 by then and finishes its last 0.5 alone at 2.
        var core = new SimulatedCore();
        core.Start(W0, 1, false, 0);
        core.Start(W1, 1, false, 0.5);
        Assert.Equal(1.5, core.NextFinish);
        Assert.Equal(new[] { W0 }, core.Finish(1.5));
        Assert.Equal(2, core.NextFinish);
        Assert.Equal(new[] { W1 }, core.Finish(2));
    }

    [Fact]
    public void A_shard_preempts_the_workers_and_delays_them_by_its_work()
    {
        // W0: 1 s from 0; the shard's 0.25 s from 0.5 runs alone, then W0 finishes its last 0.5 at 1.25
        var core = new SimulatedCore();
        core.Start(W0, 1, false, 0);
        long before = core.Generation;
        core.Start(S0, 0.25, preempts: true, now: 0.5);
        Assert.True(core.Preempted);
        Assert.NotEqual(before, core.Generation); // W0's finish at 1 is void
        Assert.Equal(0.75, core.NextFinish);
        Assert.Equal(new[] { S0 }, core.Finish(0.75));
        Assert.False(core.Preempted);
        Assert.Equal(1.25, core.NextFinish);
        Assert.Equal(new[] { W0 }, core.Finish(1.25));
    }
}
