using System.Diagnostics;
using System.Text.Json;
using ActorTrainer.Core.Checkpoints;
using Xunit.Abstractions;

namespace ActorTrainer.Cli.Tests.Deploy;

/// <summary>
/// The image built FROM deploy/Dockerfile (on base images made on this machine: no registry) runs
/// deploy/docker-compose.yml, 1 ps + 2 worker containers, to completion. deploy/container-test.sh
/// does the docker work; this test checks what the run left in the ps's mounted volume.
/// </summary>
[Trait("Category", "Container")]
public sealed class ContainerTests(ITestOutputHelper log) : IDisposable
{
    private const int Updates = 200;
    private const int Hidden = 64;

    /// <summary>Guards against a hang only: base images, image build and run take minutes, not this.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(40);

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"at-container-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [ContainerFact]
    public async Task The_image_builds_from_the_Dockerfile_and_the_compose_cluster_trains_to_completion()
    {
        string runs = Path.Combine(_root, "runs");
        var (exit, output) = await RunScriptAsync("deploy/container-test.sh", "-o", runs, "-u", $"{Updates}", "-H", $"{Hidden}");

        log.WriteLine(output); // the script's phases with their times, for CI's log
        Assert.True(exit == 0, $"deploy/container-test.sh exited {exit}:\n{output}");
        foreach (var service in new[] { "ps", "worker1", "worker2" })
            Assert.Contains($"{service} exited 0", output);

        string run = Assert.Single(Directory.GetDirectories(runs));
        // The size given to the compose run reached the containers: the ps trained H=64, not the file's 128.
        using (var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json"))))
            Assert.Equal($"{Hidden}", settings.RootElement.GetProperty("settings").GetProperty("hidden").GetString());

        // Sync, 2 workers in 2 containers: every update averaged both, and the run ended at its budget.
        using (var server = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "server.json"))))
        {
            Assert.Equal("ReachedMaxUpdates", server.RootElement.GetProperty("reason").GetString());
            Assert.Equal(Updates, server.RootElement.GetProperty("updates").GetInt32());
            Assert.Equal(2 * Updates, server.RootElement.GetProperty("gradients_applied").GetInt32());
        }
        var (header, rows) = CliHarness.ReadCsv(Path.Combine(run, "metrics.csv"));
        Assert.Equal(Updates, rows.Count);
        Assert.All(rows, r => Assert.Equal("0;1", CliHarness.Col(header, r, "worker")));

        Assert.NotEmpty(Directory.GetFiles(run, "events.out.tfevents.*")); // TensorBoard's, beside metrics.csv

        var model = SafetensorsFile.Read(Path.Combine(run, "model.safetensors"));
        Assert.NotEmpty(model.Tensors);
        Assert.All(model.Tensors, t => Assert.True(t.Data.All(float.IsFinite), $"{t.Name} has a non-finite weight"));
    }

    /// <summary>Runs a repository script with bash; its stdout and stderr, interleaved, for the failure message.</summary>
    private static async Task<(int Exit, string Output)> RunScriptAsync(string script, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = RepoRoot(), RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        void Append(object _, DataReceivedEventArgs e) { if (e.Data is not null) lock (output) output.AppendLine(e.Data); }
        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{script} did not finish within {Timeout}:\n{output}");
        }
        process.WaitForExit(); // drains the redirected streams
        lock (output) return (process.ExitCode, output.ToString());
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ActorTrainer.sln"))) return d.FullName;
        throw new DirectoryNotFoundException($"no ActorTrainer.sln above {AppContext.BaseDirectory}");
    }
}
