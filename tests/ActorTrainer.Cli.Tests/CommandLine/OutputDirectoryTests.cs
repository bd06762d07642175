using ActorTrainer.Cli.CommandLine;
using static ActorTrainer.Cli.Tests.CliHarness;

namespace ActorTrainer.Cli.Tests.CommandLine;

public sealed class OutputDirectoryTests
{
    [Fact]
    public void Outputs_without_out_go_under_runs()
    {
        Assert.Matches(@"^runs[/\\]diagnose-\d{8}-\d{6}$", OutputDirectory.Default("diagnose"));
        // and the commands that write say so in their help, where the default is read from reference.conf
        foreach (string[] command in new[] { new[] { "diagnose" }, ["scale"], ["experiment", "clipping"], ["train"] })
            Assert.Matches(@"--out <DIR>\s+.*runs/", RunOk([.. command, "--help"]).Out);
    }
}
