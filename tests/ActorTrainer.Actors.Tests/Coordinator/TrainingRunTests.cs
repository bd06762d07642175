using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Tests.Fakes;
using ActorTrainer.Core.Training;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Coordinator;

/// <summary>Whole in-process runs: server + workers + coordinator, fake computers whose gradient is
/// w − target (plus seeded noise), so SGD drives W to the target. serialize-messages is on.</summary>
public sealed class TrainingRunTests : TestKit
{
    private const int P = 16;
    // Upper bound on a run's wall time, only so a broken run fails instead of hanging the suite.
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);
    private static readonly float[] Target = Enumerable.Range(0, P).Select(i => (float)Math.Sin(i + 1) * 3).ToArray();

    public TrainingRunTests() : base(TestHocon.Config) { }

    private static FakeGradientComputer[] Computers(int n, int? seed = null) =>
        Enumerable.Range(0, n).Select(id => new FakeGradientComputer(Target, seed is { } s ? s * 100 + id : null)).ToArray();

    private Task<TrainingResult> Run(
        TrainingRunSettings settings, IReadOnlyList<FakeGradientComputer> computers, TrainingCallbacks? callbacks = null,
        float lr = 0.2f, CancellationToken ct = default) =>
        TrainingRun.RunAsync(Sys, settings, computers, new float[P], OptimizerUpdateRule.Sgd(lr), callbacks, ct).WaitAsync(Hang);

    [Theory]
    [InlineData(ConsistencyMode.Sync, 0)]
    [InlineData(ConsistencyMode.Async, 0)]
    [InlineData(ConsistencyMode.Ssp, 1)]
    public async Task Two_workers_drive_W_to_the_target_and_stop_at_the_requested_update_count(ConsistencyMode mode, int staleness)
    {
        var computers = Computers(2);
        var updates = new List<long>();
        var result = await Run(new TrainingRunSettings(mode, maxUpdates: 150, staleness: staleness), computers,
            new TrainingCallbacks { OnUpdate = u => updates.Add(u.UpdateNumber) });

        Assert.Equal(CompletionReason.ReachedMaxUpdates, result.Reason);
        Assert.Equal(150, result.Version);
        Assert.Equal(Enumerable.Range(1, 150).Select(i => (long)i), updates);
        for (int i = 0; i < P; i++) Assert.True(Math.Abs(result.Weights[i] - Target[i]) < 1e-3, $"W[{i}] = {result.Weights[i]}, target {Target[i]}");
        Assert.All(computers, c => Assert.NotEmpty(c.FirstWeightSeen)); // both workers contributed
        Assert.All(computers.SelectMany(c => c.RanOnThreadPool), Assert.False); // compute on the pinned dispatcher
        if (mode == ConsistencyMode.Sync) Assert.Equal(300, result.Stats.GradientsApplied);
    }

    [Theory]
    [InlineData(null)] // async's default: 2
    [InlineData(1)]
    public async Task An_async_worker_computes_during_the_round_trip_only_with_more_than_one_push_in_flight(int? maxInFlight)
    {
        // One worker. With one push in flight it waits for each answer, so every gradient is on the newest W
        // (staleness 0) however long the server takes. With two, the server's update of chunk k waits (a gate
        // the test holds) until the worker has computed chunk k+1, which is then on W without chunk k's update:
        // staleness 1 for every update after the first, and never more (flow control).
        var staleness = new List<long>();
        var computer = new FakeGradientComputer(Target);
        IUpdateRule rule = OptimizerUpdateRule.Sgd(0.2f);
        IGradientComputer worker = computer;
        if (maxInFlight != 1)
        {
            var gated = new RuleGatedOnChunks(rule);
            (rule, worker) = (gated, new ChunkCounter(computer, gated.ChunkComputed));
        }
        var result = await TrainingRun.RunAsync(Sys, new TrainingRunSettings(ConsistencyMode.Async, maxUpdates: 20, maxInFlight: maxInFlight),
            [worker], new float[P], rule, new TrainingCallbacks { OnUpdate = u => staleness.Add(u.Staleness) }).WaitAsync(Hang);

        Assert.Equal(CompletionReason.ReachedMaxUpdates, result.Reason);
        Assert.Equal(maxInFlight == 1 ? Enumerable.Repeat(0L, 20) : [0L, .. Enumerable.Repeat(1L, 19)], staleness);
    }

    /// <summary>Applies the update of chunk k only once chunk k+1 has been computed (update 0 waits for chunks 0 and 1).</summary>
    private sealed class RuleGatedOnChunks(IUpdateRule inner) : IUpdateRule
    {
        private readonly SemaphoreSlim _chunks = new(0);
        private bool _first = true;

        public void ChunkComputed() => _chunks.Release();

        public Core.Optim.UpdateOutcome Apply(Span<float> w, ReadOnlySpan<float> g)
        {
            for (int n = _first ? 2 : 1; n > 0; n--)
                if (!_chunks.Wait(Hang)) throw new TimeoutException("the worker computed no next chunk");
            _first = false;
            return inner.Apply(w, g);
        }
    }

    /// <summary>Tells the gate after every chunk.</summary>
    private sealed class ChunkCounter(IGradientComputer inner, Action computed) : IGradientComputer
    {
        public int ParameterCount => inner.ParameterCount;
        public int TokensPerChunk => inner.TokensPerChunk;
        public ChunkOutcome ComputeNext(ReadOnlySpan<float> w, Span<float> grad)
        {
            var outcome = inner.ComputeNext(w, grad);
            computed();
            return outcome;
        }
        public WorkerSnapshot Snapshot() => inner.Snapshot();
        public void Restore(WorkerSnapshot snapshot) => inner.Restore(snapshot);
    }

    [Fact]
    public async Task Two_sync_runs_with_the_same_seed_produce_identical_update_sequences()
    {
        async Task<(List<string> Updates, int[] FinalBits)> RunOnce()
        {
            var log = new List<string>();
            var result = await Run(new TrainingRunSettings(ConsistencyMode.Sync, maxUpdates: 60), Computers(3, seed: 7),
                new TrainingCallbacks
                {
                    OnUpdate = u => log.Add(
                        $"{u.UpdateNumber} v{u.Version} w[{string.Join(',', u.WorkerIds)}] c[{string.Join(',', u.ChunkIds)}] " +
                        $"loss={BitConverter.SingleToInt32Bits(u.Loss):X8} norm={BitConverter.DoubleToInt64Bits(u.GradNorm):X16}"),
                });
            return (log, result.Weights.Select(BitConverter.SingleToInt32Bits).ToArray());
        }

        var first = await RunOnce();
        var second = await RunOnce();
        Assert.Equal(60, first.Updates.Count);
        Assert.Equal(first.Updates, second.Updates);
        Assert.Equal(first.FinalBits, second.FinalBits);
    }

    [Fact]
    public async Task Validation_runs_every_interval_on_the_published_weights()
    {
        var seen = new List<long>();
        var result = await Run(new TrainingRunSettings(ConsistencyMode.Sync, maxUpdates: 100, validateEvery: 25), Computers(2),
            new TrainingCallbacks
            {
                Validate = (w, version) => TensorDistance(w, Target),
                OnValidation = v => seen.Add(v.UpdateNumber),
            }, lr: 0.05f); // slow enough that W is still moving at update 100

        Assert.Equal([25L, 50L, 75L, 100L], result.Validations.Select(v => v.UpdateNumber));
        Assert.Equal(seen, result.Validations.Select(v => v.UpdateNumber));
        var losses = result.Validations.Select(v => v.Loss).ToArray();
        Assert.True(losses.Zip(losses.Skip(1)).All(p => p.Second < p.First), $"validation loss not decreasing: {string.Join(", ", losses)}");
    }

    [Fact]
    public async Task Without_an_interval_validation_runs_once_on_the_final_weights()
    {
        var result = await Run(new TrainingRunSettings(ConsistencyMode.Async, maxUpdates: 20), Computers(1),
            new TrainingCallbacks { Validate = (w, version) => version });
        Assert.Equal(20.0, Assert.Single(result.Validations).Loss);
    }

    [Fact]
    public async Task A_crashing_worker_leaves_and_the_sync_run_finishes_with_the_others()
    {
        var computers = Computers(2);
        computers[1] = new FakeGradientComputer(Target) { ThrowAtChunk = 3 };
        var left = new List<int>();
        var result = await Run(new TrainingRunSettings(ConsistencyMode.Sync, maxUpdates: 40), computers,
            new TrainingCallbacks { OnEvent = e => { if (e is WorkerLeft l) left.Add(l.WorkerId); } });

        Assert.Equal(CompletionReason.ReachedMaxUpdates, result.Reason);
        Assert.Equal([1], left);
        Assert.Equal(3, computers[1].FirstWeightSeen.Count);
        Assert.Equal(40 + 3, result.Stats.GradientsApplied); // 3 rounds with both, 37 with worker 0 alone
    }

    [Fact]
    public async Task The_run_fails_when_every_worker_has_crashed()
    {
        var computers = new[] { new FakeGradientComputer(Target) { ThrowAtChunk = 0 } };
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(
            () => Run(new TrainingRunSettings(ConsistencyMode.Async, maxUpdates: 10), computers));
        Assert.Contains("fake computer fails at chunk 0", ex.Message);
    }

    [Fact]
    public async Task Cancelling_stops_the_run_with_the_weights_reached_so_far()
    {
        using var cts = new CancellationTokenSource();
        var result = await Run(new TrainingRunSettings(ConsistencyMode.Async, maxUpdates: long.MaxValue), Computers(2),
            new TrainingCallbacks { OnUpdate = u => { if (u.UpdateNumber == 5) cts.Cancel(); } }, ct: cts.Token);
        Assert.Equal(CompletionReason.Stopped, result.Reason);
        Assert.True(result.Version >= 5);
        Assert.Equal(result.Version, result.Stats.Updates);
    }

    [Fact]
    public async Task A_throwing_callback_fails_the_run_with_its_exception()
    {
        var ex = await Assert.ThrowsAsync<ApplicationException>(() => Run(
            new TrainingRunSettings(ConsistencyMode.Async, maxUpdates: 100), Computers(1),
            new TrainingCallbacks { OnUpdate = _ => throw new ApplicationException("progress display broke") }));
        Assert.Equal("progress display broke", ex.Message);
    }

    [Fact]
    public void Computers_that_disagree_with_the_initial_weights_are_refused_up_front()
    {
        // thrown synchronously, before any actor starts
        var ex = Assert.Throws<ArgumentException>(() => { _ = TrainingRun.RunAsync(
            Sys, new TrainingRunSettings(ConsistencyMode.Sync, 10), Computers(1), new float[P + 1], OptimizerUpdateRule.Sgd(0.1f)); });
        Assert.Contains($"expects {P} parameters", ex.Message);
    }

    [Fact]
    public async Task The_private_actor_system_overload_runs_to_completion()
    {
        var result = await TrainingRun.RunAsync(
            new TrainingRunSettings(ConsistencyMode.Sync, maxUpdates: 50), Computers(2), new float[P], OptimizerUpdateRule.Sgd(0.2f))
            .WaitAsync(Hang);
        Assert.Equal(50, result.Version);
        Assert.True(TensorDistance(result.Weights, Target) < 1e-3);
    }

    private static double TensorDistance(ReadOnlySpan<float> a, float[] b)
    {
        double d2 = 0;
        for (int i = 0; i < a.Length; i++) d2 += (a[i] - b[i]) * (double)(a[i] - b[i]);
        return Math.Sqrt(d2);
    }
}
