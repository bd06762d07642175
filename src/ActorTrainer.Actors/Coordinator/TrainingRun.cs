using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Sharding;
using ActorTrainer.Core.Training;
using Akka.Actor;
using Akka.Configuration;

namespace ActorTrainer.Actors.Coordinator;

/// <summary>
/// In-process host API: one parameter server and one worker per computer in an actor system, run
/// until <see cref="TrainingRunSettings.MaxUpdates"/> updates are applied; returns the final W and
/// the server's counters.
/// </summary>
public static class TrainingRun
{
    /// <summary>
    /// Runs training in a private actor system (<see cref="TrainerHocon.Config"/>, logging at
    /// WARNING), terminated before returning.
    /// </summary>
    /// <param name="computers">One per worker; worker i owns computers[i] for the whole run.</param>
    /// <param name="initialWeights">W at version 0 (P); copied.</param>
    /// <param name="updateRule">Applied by the server; owned by the run. With shards it must be an
    /// <see cref="IShardableUpdateRule"/>: each shard applies its own slice, and the slices' state is
    /// gathered back into it when the run completes.</param>
    /// <param name="cancellationToken">Cancelling stops the run early: the result then has
    /// <see cref="CompletionReason.Stopped"/> and the weights reached so far.</param>
    public static async Task<TrainingResult> RunAsync(
        TrainingRunSettings settings, IReadOnlyList<IGradientComputer> computers, float[] initialWeights,
        IUpdateRule updateRule, TrainingCallbacks? callbacks = null, CancellationToken cancellationToken = default)
    {
        var system = TrainerHocon.LocalSystem("actortrainer");
        try
        {
            return await RunAsync(system, settings, computers, initialWeights, updateRule, callbacks, cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs training in <paramref name="system"/>, which must include <see cref="TrainerHocon.Config"/>
    /// (dispatchers and serializers). The system is left running.
    /// </summary>
    public static Task<TrainingResult> RunAsync(
        ActorSystem system, TrainingRunSettings settings, IReadOnlyList<IGradientComputer> computers,
        float[] initialWeights, IUpdateRule updateRule, TrainingCallbacks? callbacks = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(computers);
        ArgumentNullException.ThrowIfNull(initialWeights);
        ArgumentNullException.ThrowIfNull(updateRule);
        if (computers.Count == 0) throw new ArgumentException("a run needs at least one worker's computer", nameof(computers));
        for (int i = 0; i < computers.Count; i++)
        {
            if (computers[i] is null) throw new ArgumentException($"computer {i} is null", nameof(computers));
            if (computers[i].ParameterCount != initialWeights.Length)
                throw new ArgumentException(
                    $"computer {i} expects {computers[i].ParameterCount} parameters, the initial weights have {initialWeights.Length}",
                    nameof(computers));
        }

        if (settings.Shards > initialWeights.Length)
            throw new ArgumentException($"{settings.Shards} shards for {initialWeights.Length} parameters: every shard needs at least one", nameof(settings));
        if (settings.Shards > 1 && updateRule is not IShardableUpdateRule)
            throw new ArgumentException(
                $"a run with {settings.Shards} shards needs an update rule that can be split by key range ({nameof(IShardableUpdateRule)}); " +
                $"{updateRule.GetType().Name} cannot", nameof(updateRule));

        var completion = new TaskCompletionSource<TrainingResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        IActorRef coordinator;
        try
        {
            coordinator = system.ActorOf(
                CoordinatorActor.Props(settings, computers.ToArray(), initialWeights.ToArray(), updateRule, callbacks ?? new(), completion),
                $"training-{Guid.NewGuid():N}");
        }
        catch (ConfigurationException e) // the coordinator's own dispatcher (the servers' and workers' fail in its PreStart, alike)
        {
            return Task.FromException<TrainingResult>(CoordinatorActor.StartFailure(e));
        }
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => coordinator.Tell(new StopTraining("cancelled")));
            completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }
        return completion.Task;
    }
}
