using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Tests.Fakes;
using ActorTrainer.Actors.Worker;
using ActorTrainer.Core.Compression;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.Worker;

/// <summary>
/// The worker's push rules beyond one plain gradient per chunk: local steps (H chunks on a local W, one
/// push of W₀ − W_loc) and the push encodings. The fake computer's gradient is w − 0 = w, so with SGD at
/// lr ½ every local step halves W_loc: the numbers below are exact in float.
/// </summary>
public sealed class WorkerStateLocalStepsTests
{
    private const int P = 3;
    private const string Shape = "shape";

    private static float[] Filled(float value, int n = P) => Enumerable.Repeat(value, n).ToArray();

    private static (WorkerState State, FakeGradientComputer Computer) Worker(
        ConsistencyMode mode, int localSteps, Optimizer? optimizer = null, GradientEncoding? encoding = null, int p = P, int maxInFlight = 1)
    {
        var computer = new FakeGradientComputer(new float[p]);
        var settings = new WorkerSettings(mode, Shape, maxInFlight: maxInFlight, encoding: encoding, localSteps: localSteps,
            localOptimizer: optimizer ?? new Sgd(0.5f));
        return (new WorkerState(4, computer, settings), computer);
    }

    private static List<ITrainerMessage> Drain(WorkerState s, IReadOnlyList<Outgoing> outbox, int maxTicks = 20)
    {
        var toServer = outbox.Where(o => o.To.Audience == Audience.Server).Select(o => o.Message).ToList();
        for (int i = 0; i < maxTicks && outbox.Any(o => o.To.Audience == Audience.Self); i++)
        {
            outbox = s.Handle(new ComputeNextChunk(s.WorkerId));
            toServer.AddRange(outbox.Where(o => o.To.Audience == Audience.Server).Select(o => o.Message));
        }
        return toServer;
    }

    [Fact]
    public void H_local_steps_on_a_copy_of_W_then_one_push_of_the_change_covering_the_windows_chunks()
    {
        var (s, c) = Worker(ConsistencyMode.Sync, localSteps: 3);
        var server = Filled(8);
        var pushed = Drain(s, s.Handle(new WorkerRegistered(4, 5, server)));

        var push = Assert.IsType<PushGradient>(Assert.Single(pushed)); // sync: one push, then wait for the round
        Assert.Equal([8f, 4f, 2f], c.FirstWeightSeen);                  // W_loc: 8, then 8 − ½·8, then 4 − ½·4
        Assert.Equal(Filled(8 - 1), push.Gradient);                     // Δ = W₀ − W_loc = 8 − 1
        Assert.Equal(Filled(8), server);                                // the server's array is only read
        Assert.Equal((5L, 0L, 2L, 3, 24), (push.BaseVersion, push.FirstChunkId, push.ChunkId, push.Chunks, push.Tokens));
        Assert.Equal(c.Hidden, Assert.Single(push.Hidden!));            // h after the window's last chunk
        Assert.False(s.MayCompute());
    }

    [Fact]
    public void The_next_window_starts_on_the_newest_weights_and_weights_arriving_inside_a_window_wait_for_it()
    {
        var (s, c) = Worker(ConsistencyMode.Async, localSteps: 2, maxInFlight: 2);
        s.Handle(new WorkerRegistered(4, 0, Filled(8)));
        var first = Drain(s, s.Handle(new ComputeNextChunk(4)), maxTicks: 0); // one local step: no push yet
        Assert.Empty(first);
        s.Handle(new WeightsPublished(1, 1, Filled(100)));                     // arrives inside the window
        var pushes = Drain(s, s.Handle(new ComputeNextChunk(4)), maxTicks: 2).Cast<PushGradient>().ToList();

        Assert.Equal([8f, 4f, 100f, 50f], c.FirstWeightSeen);
        Assert.Equal(Filled(6), pushes[0].Gradient);   // 8 − 2: the window ignored W at version 1
        Assert.Equal(0L, pushes[0].BaseVersion);
        Assert.Equal(Filled(75), pushes[1].Gradient);  // 100 − 25
        Assert.Equal((1L, 2L, 3L), (pushes[1].BaseVersion, pushes[1].FirstChunkId, pushes[1].ChunkId));
    }

    [Fact]
    public void The_local_optimizers_state_is_kept_from_window_to_window()
    {
        // momentum 0.9 at lr 0.5 on g = w: the reference runs the same four steps with one state,
        // starting each window at the server's W₀
        var momentum = new Momentum(0.5f);
        var (s, _) = Worker(ConsistencyMode.Sync, localSteps: 2, optimizer: momentum);
        var first = Assert.IsType<PushGradient>(Assert.Single(Drain(s, s.Handle(new WorkerRegistered(4, 0, Filled(8))))));
        var firstDelta = (float[])first.Gradient.Clone(); // the array is the worker's again once answered
        s.Handle(new GradientApplied(4, 1, 0, 1, 0));
        var w1 = Filled(8).Zip(firstDelta, (w, d) => w - d).ToArray(); // the server's W after a round of one
        var second = Assert.IsType<PushGradient>(Assert.Single(Drain(s, s.Handle(new WeightsPublished(1, 1, w1)))));

        var state = momentum.CreateState(P);
        var w = Filled(8);
        for (int i = 0; i < 2; i++) momentum.Step(w, (float[])w.Clone(), state);
        Assert.Equal(Filled(8).Zip(w, (a, b) => a - b), firstDelta);
        w = (float[])w1.Clone();
        for (int i = 0; i < 2; i++) momentum.Step(w, (float[])w.Clone(), state);
        Assert.Equal(w1.Zip(w, (a, b) => a - b), second.Gradient);
    }

    [Fact]
    public void A_non_finite_chunk_inside_a_window_pushes_the_window_so_far_then_reports_the_chunk()
    {
        var (s, c) = Worker(ConsistencyMode.Sync, localSteps: 3);
        c.NonFiniteChunks.Add(1);
        var sent = Drain(s, s.Handle(new WorkerRegistered(4, 0, Filled(8))));

        Assert.Equal(2, sent.Count);
        var push = Assert.IsType<PushGradient>(sent[0]);
        Assert.Equal((0L, 0L, 1), (push.FirstChunkId, push.ChunkId, push.Chunks)); // the server expects chunk 1 next
        Assert.Equal(Filled(4), push.Gradient);
        Assert.Equal(1L, Assert.IsType<NonFiniteGradientSkipped>(sent[1]).ChunkId);
        Assert.Equal(1L, s.NonFiniteSkipped);
    }

    [Fact]
    public void H_of_one_pushes_every_chunks_gradient_as_before()
    {
        var (s, c) = Worker(ConsistencyMode.Async, localSteps: 1, maxInFlight: 2);
        var pushes = Drain(s, s.Handle(new WorkerRegistered(4, 0, Filled(8))), maxTicks: 2).Cast<PushGradient>().ToList();
        Assert.Equal([8f, 8f], c.FirstWeightSeen);
        Assert.All(pushes, p => Assert.Equal((1, WireEncoding.Fp32), (p.Chunks, p.Encoding)));
        Assert.All(pushes, p => Assert.Equal(Filled(8), p.Gradient));
    }

    [Fact]
    public void A_bf16_worker_pushes_bf16_values()
    {
        var (s, _) = Worker(ConsistencyMode.Sync, localSteps: 1, encoding: GradientEncoding.Bf16);
        var push = Assert.IsType<PushGradient>(Assert.Single(Drain(s, s.Handle(new WorkerRegistered(4, 0, Filled(1.00390625f + 1e-6f))))));
        Assert.Equal(WireEncoding.Bf16, push.Encoding);
        Assert.Equal(Filled(Bf16.Round(1.00390625f + 1e-6f)), push.Gradient); // above the tie: up to 1.0078125
        Assert.Equal(1.0078125f, push.Gradient[0]);
    }

    [Fact]
    public void A_top_k_worker_pushes_k_values_of_its_optimizers_step_and_keeps_the_rest_for_its_next_push()
    {
        // top-k pushes W₀ − W_loc after one local step (GradientEncoding.PushesDeltas): with SGD at lr 1 that is g
        const int n = 200;
        var (s, _) = Worker(ConsistencyMode.Async, localSteps: 1, optimizer: new Sgd(1f), encoding: GradientEncoding.TopK(0.01), p: n, maxInFlight: 2);
        var w = Enumerable.Range(0, n).Select(i => (float)(i + 1)).ToArray(); // gradient = w: the largest are the last
        var pushes = Drain(s, s.Handle(new WorkerRegistered(4, 0, w)), maxTicks: 2).Cast<PushGradient>().ToList();

        Assert.All(pushes, p => Assert.Equal(WireEncoding.Sparse, p.Encoding));
        Assert.Equal([198, 199], Enumerable.Range(0, n).Where(i => pushes[0].Gradient[i] != 0));
        // second chunk: a = w + residual = 2w below index 198, w above: 2·198 and 2·197 win
        Assert.Equal([196, 197], Enumerable.Range(0, n).Where(i => pushes[1].Gradient[i] != 0));
        Assert.Equal(2f * 197, pushes[1].Gradient[196]);
    }

    [Theory]
    [InlineData(0L, 50)]  // the warm-up's start: a quarter of 200
    [InlineData(5L, 10)]  // halfway: 0.25·(0.01/0.25)^½ = 5%
    [InlineData(10L, 2)]  // done: F = 1%
    [InlineData(500L, 2)] // a slot that moved late in a run gets no second warm-up
    public void A_top_k_warm_up_follows_the_version_of_W_the_push_was_computed_on(long version, int sent)
    {
        const int n = 200;
        var (s, _) = Worker(ConsistencyMode.Async, localSteps: 1, optimizer: new Sgd(1f), encoding: GradientEncoding.TopK(0.01, warmupUpdates: 10), p: n);
        var w = Enumerable.Range(0, n).Select(i => (float)(i + 1)).ToArray(); // gradient = w: no value is zero
        var push = Drain(s, s.Handle(new WorkerRegistered(4, version, w)), maxTicks: 1).Cast<PushGradient>().First();
        Assert.Equal(version, push.BaseVersion);
        Assert.Equal(sent, push.Gradient.Count(x => x != 0));
    }

    [Fact]
    public void A_top_k_worker_without_local_steps_still_pushes_a_change_of_W_made_by_its_optimizer()
    {
        var (s, c) = Worker(ConsistencyMode.Sync, localSteps: 1, encoding: GradientEncoding.TopK(1)); // SGD lr ½, every value sent
        var push = Assert.IsType<PushGradient>(Assert.Single(Drain(s, s.Handle(new WorkerRegistered(4, 0, Filled(8))))));
        Assert.Equal(Filled(4), push.Gradient);  // 8 − (8 − ½·8)
        Assert.Equal((0L, 1), (push.ChunkId, push.Chunks));
        Assert.Equal(WireEncoding.Sparse, push.Encoding);
    }
}
