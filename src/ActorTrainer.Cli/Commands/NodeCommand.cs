using System.CommandLine;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;

namespace ActorTrainer.Cli.Commands;

/// <summary>`actortrainer node --role ps|worker [options]`: one member of a training cluster.</summary>
internal static class NodeCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("node",
            "One member of a training cluster: --role ps (parameter server; start it first) or worker; training options " +
            "as train's. Node settings: hocon/cluster.conf < hocon/<role>.conf < --config < ACTORTRAINER_<KEY> < flags. " +
            "Exit 0 run completed, 1 failed or could not join, 2 bad input or rejected. See deploy/README.md.");
        var nodeOptions = NodeSettingsLoader.CreateOptions();
        var trainOptions = TrainSettingsLoader.CreateOptions(); // includes --config, read by both loaders
        foreach (var o in nodeOptions.Concat(trainOptions)) command.Options.Add(o);
        command.SetAction(async (r, _) =>
        {
            var flags = TrainSettingsLoader.Given(r, nodeOptions.Concat(trainOptions));
            var (node, hocon) = NodeSettingsLoader.Load(flags);
            if (node.Role == NodeRole.Worker && flags.ContainsKey("workers"))
                throw new UsageException("--workers is the run's total, set on the ps node; on a worker node use --workers-per-node");
            var settings = TrainSettingsLoader.Load(flags);
            return node.Role == NodeRole.Ps
                ? await new PsNodeJob(context.Out, context.Err).RunAsync(node, hocon, settings, context.Stop)
                : await new WorkerNodeJob(context.Err).RunAsync(node, hocon, settings, context.Stop);
        });
        return command;
    }
}
