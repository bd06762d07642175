using System.Diagnostics;
using System.Globalization;
using ActorTrainer.Core.Reporting;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// deploy/netns-cluster.sh: 1 ps + 2 worker nodes, each in a network namespace of its own with its
/// own address, over shaped links. Needs root; elsewhere the test is skipped with the reason.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(ClusterProcessesCollection.Name)]
public sealed class NetnsClusterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"at-netns-{Guid.NewGuid():N}");

    public NetnsClusterTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [NetnsFact]
    public async Task One_ps_and_two_workers_in_their_own_namespaces_train_to_completion_over_a_shaped_link()
    {
        string run = Path.Combine(_root, "run");
        const int updates = 120;
        var (code, output) = await RunScript(
            ["-n", "2", "--link", "1gbit:1ms", "-b", TestNodes.Executable.BinaryDirectory, "-o", run, "--",
             "--hidden", "32", "--batch", "4", "--updates", $"{updates}", "--eval-every", "60", "--sample", "0"],
            TimeSpan.FromMinutes(3));

        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(run, "model.safetensors")), output);
        Assert.Equal(updates, CsvReader.ReadAll(Path.Combine(run, "metrics.csv")).Skip(1).Count(r => r.Length > 1));

        // Every node's traffic crossed its own interface (not loopback): each worker received the
        // weights and sent gradients, and the ps sent at least what the workers received.
        var wire = CsvReader.ReadAll($"{run}-logs/wire.csv").Skip(1).Where(r => r.Length == 4)
            .ToDictionary(r => r[0], r => (Address: r[1], Tx: long.Parse(r[2], CultureInfo.InvariantCulture), Rx: long.Parse(r[3], CultureInfo.InvariantCulture)));
        Assert.Equal(["ps", "worker-1", "worker-2"], wire.Keys.Order());
        Assert.Equal(3, wire.Values.Select(v => v.Address).Distinct().Count());
        Assert.All(wire.Values, v => Assert.StartsWith("10.231.0.", v.Address));
        // A 32-unit model on the built-in corpus has > 1,000 float parameters: a weights message is
        // > 4 kB, and each worker gets one per update it takes part in, so > updates·4 kB / 2 each.
        long floor = updates * 4_000L / 2;
        Assert.All(new[] { "worker-1", "worker-2" }, w => Assert.True(wire[w].Rx > floor && wire[w].Tx > floor, $"{w}: {wire[w]}\n{output}"));
        Assert.True(wire["ps"].Tx >= wire["worker-1"].Rx + wire["worker-2"].Rx - 100_000, output);
    }

    [NetnsFact]
    public async Task A_malformed_link_is_one_error_line_and_exit_2_with_no_namespace_left()
    {
        var (code, output) = await RunScript(["--link", "fast", "-b", TestNodes.Executable.BinaryDirectory, "-o", Path.Combine(_root, "bad")], TimeSpan.FromSeconds(30));
        Assert.Equal(2, code);
        Assert.Single(output.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_root, "bad")));
    }

    private static async Task<(int Code, string Output)> RunScript(string[] args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("ACTORTRAINER_", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(key);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            // SIGTERM lets the script's trap remove its namespaces.
            Process.Start("kill", ["-TERM", $"{p.Id}"])!.WaitForExit();
            await p.WaitForExitAsync();
            return (-1, $"timed out after {timeout}\n{await stdout}\n{await stderr}");
        }
        return (p.ExitCode, $"{await stdout}\n{await stderr}");
    }

    internal static string Script
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "deploy", "netns-cluster.sh");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("deploy/netns-cluster.sh not found above " + AppContext.BaseDirectory);
        }
    }
}

/// <summary>A fact that runs only where network namespaces can be made (root, iproute2, python3 for the
/// delay relay); elsewhere it is reported as skipped with the reason, never passed silently.</summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        string? reason = WhyNot();
        if (reason is not null) Skip = reason;
    }

    private static string? WhyNot()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces need Linux";
        if (Environment.UserName != "root") return "network namespaces need root (run the tests as root to include this test)";
        foreach (var tool in new[] { "ip", "tc", "python3" })
            if (!OnPath(tool)) return $"'{tool}' is not installed";
        string name = $"at-probe-{Environment.ProcessId}";
        if (Run("ip", "netns", "add", name) != 0) return "'ip netns add' failed here (no CAP_SYS_ADMIN?)";
        Run("ip", "netns", "del", name);
        return null;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));

    private static int Run(string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception) { return -1; }
    }
}
