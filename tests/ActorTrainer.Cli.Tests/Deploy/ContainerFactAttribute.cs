namespace ActorTrainer.Cli.Tests.Deploy;

/// <summary>
/// A fact that needs a Docker daemon and several minutes: skipped, with the way to run it, unless
/// RUN_CONTAINER_TESTS=1 (.ci/run sets it where a daemon starts). Not an ACTORTRAINER_* variable:
/// the CLI rejects those that name no setting.
/// </summary>
public sealed class ContainerFactAttribute : FactAttribute
{
    public const string Variable = "RUN_CONTAINER_TESTS";

    public ContainerFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
            Skip = $"needs a Docker daemon: {Variable}=1 dotnet test tests/ActorTrainer.Cli.Tests -c Release --filter Category=Container";
    }
}
