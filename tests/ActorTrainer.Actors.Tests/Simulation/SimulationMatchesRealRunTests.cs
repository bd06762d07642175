using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Simulation;
using ActorTrainer.Core.Training;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Simulation;

/// <summary>
/// The simulator drives the same state classes as an in-process run, so where timing cannot change
/// anything — one sync worker — its W is the in-process run's W, bit for bit, whatever the costs.
/// </summary>
public sealed class SimulationMatchesRealRunTests : TestKit
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(120);

    public SimulationMatchesRealRunTests() : base(TestHocon.Config) { }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task One_sync_worker_without_network_cost_ends_with_the_in_process_runs_W_bit_for_bit(int shards)
    {
        var model = RealModel.Of(workers: 1, seed: 3);
        var settings = new TrainingRunSettings(ConsistencyMode.Sync, 30, model.Shape, shards: shards);

        var realUpdates = new List<UpdateApplied>();
        var real = await TrainingRun.RunAsync(Sys, settings, model.Computers(), model.InitialWeights(), model.Rule(),
            new TrainingCallbacks { OnUpdate = realUpdates.Add }).WaitAsync(Hang);

        var simUpdates = new List<UpdateApplied>();
        var costs = new SimulationCosts(0.01, Enumerable.Repeat(new ShardCosts(1e-4, 1e-3, 1e-4), shards).ToArray(), NetworkCosts.None);
        var sim = new ClusterSimulation(settings, model.Computers(), model.InitialWeights(), model.Rule(), costs,
            new TrainingCallbacks { OnUpdate = simUpdates.Add }).Run();

        Assert.Equal(CompletionReason.ReachedMaxUpdates, sim.Training.Reason);
        Assert.Equal(real.Version, sim.Training.Version);
        Assert.Equal(realUpdates.Select(u => (u.Loss, u.GradNorm, u.ChunkIds.Single())), simUpdates.Select(u => (u.Loss, u.GradNorm, u.ChunkIds.Single())));
        Assert.Equal(real.Weights, sim.Training.Weights); // float equality: bit for bit (no NaN in a finished run)
    }
}
