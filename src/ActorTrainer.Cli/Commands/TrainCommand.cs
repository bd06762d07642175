using System.CommandLine;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;
using ActorTrainer.Cli.Training;

namespace ActorTrainer.Cli.Commands;

/// <summary>`actortrainer train [options]`: the main job, in one process.</summary>
internal static class TrainCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("train",
            "Train a model in this process: worker actors and a parameter-server actor. Settings: reference.conf < " +
            "--config FILE < ACTORTRAINER_<KEY> environment variables < flags. Ctrl-C stops after a checkpoint (exit 130).");
        var options = TrainSettingsLoader.CreateOptions();
        foreach (var o in options) command.Options.Add(o);
        command.SetAction((r, _) => new TrainJob(context.Out, context.Err).RunAsync(
            TrainSettingsLoader.Load(TrainSettingsLoader.Given(r, options)), context.Stop));
        return command;
    }
}
