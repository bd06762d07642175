using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Tests.Fakes;
using ActorTrainer.Core.Training;
using Akka.Actor;
using Akka.Configuration;

namespace ActorTrainer.Actors.Tests.Coordinator;

/// <summary>A trainer HOCON whose dispatcher cannot be created: the run's task fails with the reason
/// (it used to wait for ever when the servers' dispatcher was the broken one).</summary>
public sealed class MisconfiguredRunTests
{
    [Theory]
    [InlineData("actortrainer.compute-dispatcher")] // coordinator and workers
    [InlineData("actortrainer.server-dispatcher")]  // the parameter server, created by the coordinator
    public async Task A_dispatcher_that_cannot_be_created_fails_the_run_with_the_reason(string dispatcher)
    {
        var config = ConfigurationFactory.ParseString($"""
            {dispatcher}.type = "No.Such.Configurator, Nowhere"
            akka.loglevel = OFF
            akka.stdout-loglevel = OFF
            """).WithFallback(TrainerHocon.Config);
        using var system = ActorSystem.Create("misconfigured", config);

        var run = TrainingRun.RunAsync(system, new TrainingRunSettings(ConsistencyMode.Sync, maxUpdates: 5),
            [new FakeGradientComputer(new float[8])], new float[8], OptimizerUpdateRule.Sgd(0.1f));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith("could not start the run's actors: ", error.Message);
        Assert.Contains("No.Such.Configurator", error.Message);
    }
}
