using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.Settings;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Compression;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>What nodes must agree on includes how pushes are made: a node with another encoding or
/// number of local steps would send what the server does not apply as it expects.</summary>
public sealed class ClusterFingerprintTests
{
    private static string? Mismatch(Func<Core.Training.TrainSettings, Core.Training.TrainSettings> worker)
    {
        var s = TrainSettingsLoader.Defaults with { Hidden = 4, Batch = 2, Chunk = 5, Workers = 1 };
        var server = ClusterFingerprint.Of(RunSetup.Create(s), 1 << 20);
        return ClusterFingerprint.Of(RunSetup.Create(worker(s)), 1 << 20).MismatchWith(server);
    }

    [Fact]
    public void Nodes_must_share_the_push_encoding_and_the_local_steps()
    {
        Assert.Null(Mismatch(s => s));
        Assert.Contains("push-encoding=bf16", Mismatch(s => s with { PushEncoding = GradientEncoding.Bf16 }));
        Assert.Contains("local-steps=8", Mismatch(s => s with { LocalSteps = 8 }));
    }
}
