using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.Scaling;

namespace ActorTrainer.Cli.Tests.Scaling;

/// <summary>
/// The cluster launcher's stall watch with stand-in "nodes": /bin/sh processes that print one line and
/// then hang, as a stuck cluster would. The sweep must fail with their last lines, not wait for ever.
/// </summary>
public sealed class ClusterLauncherStallTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "at-stall-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    [Fact]
    public async Task A_configuration_whose_nodes_show_no_progress_fails_with_their_last_lines()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // the stand-in nodes are shell scripts
        string bin = Path.Combine(_root, "bin");
        Directory.CreateDirectory(Path.Combine(bin, "hocon"));
        File.WriteAllText(Path.Combine(bin, "hocon", "local.conf"), "");
        // argv: sh -c SCRIPT node --config … --role ps|worker …: the script says which role it plays, then hangs.
        var hanging = new CliExecutable("/bin/sh", ["-c", """for a; do case "$prev" in --role) role=$a;; esac; prev=$a; done; echo "$role up" >&2; exec sleep 600"""], bin);
        var settings = new ScaleSettings { Out = Path.Combine(_root, "out"), StallSeconds = 2, Launcher = Launcher.Cluster };
        var target = new CorpusScaleTarget(settings.Train, validationTokens: 400);
        await using var launcher = new ClusterLauncher(target, settings, new SweepProgress(TextWriter.Null, enabled: false), hanging);
        var plan = new ConfigPlan(new ScaleConfig(2, ModeSpec.Parse("sync"), 10, 1), 1, 1, MaxUpdates: 100, SnapshotEvery: 10, InitialLoss: 3.8);

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<ClusterRunException>(() => launcher.RunAsync(plan, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
        Assert.Contains("configuration sync k=10 shards=1 n=2: no progress for 2 s (--stall-timeout)", error.Message);
        Assert.Matches(@"ps \(process state [SR]\): ps up", error.Message); // the OS state, for diagnosis (sleeping here)
        Assert.Matches(@"worker-2 \(process state [SR]\): worker up", error.Message);
        Assert.True(File.Exists(Path.Combine(_root, "out", "runs", "sync-k10-shards1-n2-logs", "ps.log")), "the nodes' logs are kept");
    }
}
