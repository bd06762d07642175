using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Simulation;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.Simulation;

/// <summary>A simulated run depends on its inputs only: same seed, same events, same metrics, same W.</summary>
public sealed class SimulationDeterminismTests
{
    private sealed record Run(SimulationResult Result, List<(double At, long Update, string Workers, long Staleness, float Loss)> Updates);

    /// <summary>Many ties on purpose: no network cost and equal chunk times put workers' pushes at the same
    /// instant, so the order depends on the tie-break; jitter and a straggler exercise the seeded draws.</summary>
    private static Run Simulate(ConsistencyMode mode, ulong seed, double jitter, int shards = 1)
    {
        var model = RealModel.Of(workers: 6, b: 2);
        var settings = new TrainingRunSettings(mode, 60, model.Shape, staleness: 2, validateEvery: 20, shards: shards);
        var costs = new SimulationCosts(0.004, Enumerable.Repeat(new ShardCosts(1e-5, 2e-4, 5e-5), shards).ToArray(), NetworkCosts.None,
            new Stragglers(1, 3), jitter, seed);
        var updates = new List<(double, long, string, long, float)>();
        ClusterSimulation? sim = null;
        sim = new ClusterSimulation(settings, model.Computers(), model.InitialWeights(), model.Rule(), costs, new TrainingCallbacks
        {
            OnUpdate = u => updates.Add((sim!.Now, u.UpdateNumber, string.Join(",", u.WorkerIds), u.Staleness, u.Loss)),
            Validate = (w, _) => w[0] + w[^1],
        });
        return new Run(sim.Run(), updates);
    }

    [Theory]
    [InlineData(ConsistencyMode.Sync, 0.0, 1)]
    [InlineData(ConsistencyMode.Async, 0.0, 1)]
    [InlineData(ConsistencyMode.Async, 0.3, 1)]
    [InlineData(ConsistencyMode.Ssp, 0.3, 2)]
    public void Same_seed_same_metrics_and_same_W(ConsistencyMode mode, double jitter, int shards)
    {
        var a = Simulate(mode, seed: 7, jitter, shards);
        var b = Simulate(mode, seed: 7, jitter, shards);
        Assert.Equal(a.Updates, b.Updates);
        Assert.Equal(a.Result.Events, b.Result.Events);
        Assert.Equal(a.Result.LastUpdateSeconds, b.Result.LastUpdateSeconds);
        Assert.Equal(a.Result.Workers, b.Result.Workers);
        Assert.Equal(a.Result.Training.Validations, b.Result.Training.Validations);
        Assert.Equal(a.Result.Training.Stats.StalenessHistogram, b.Result.Training.Stats.StalenessHistogram);
        Assert.Equal(a.Result.Training.Stats.RejectionsByReason, b.Result.Training.Stats.RejectionsByReason);
        Assert.Equal(a.Result.Training.ServerLoads, b.Result.Training.ServerLoads);
        Assert.Equal(a.Result.Training.Weights, b.Result.Training.Weights);
    }

    [Fact]
    public void The_seed_drives_the_jitter_and_so_the_order_of_updates()
    {
        var a = Simulate(ConsistencyMode.Async, seed: 7, jitter: 0.3);
        var b = Simulate(ConsistencyMode.Async, seed: 8, jitter: 0.3);
        Assert.NotEqual(a.Updates.Select(u => u.Workers), b.Updates.Select(u => u.Workers));
    }
}
